"""Influence: who holds sway over whom (weighted PageRank), how far they reach, and their circle.

The measures (DESIGN.md §3, with the refinements written here):

**Graph.** Every customer is a node, related or not. Each RELATED relationship of a chosen kind
is an edge that points *towards the person who holds the influence*: ``follows`` from follower
to followed and ``referred`` from the referred person to the referrer, which is exactly how
relationships.csv and the RELATED relationship store them; ``knows``, ``household`` and
``colleague`` count both ways. The edge weight is the relationship's ``weight``, 1 when it is
empty; an edge with a weight of 0 or below carries no influence and is left out. Parallel
relationships between the same two people (a referral and a follow, say) add their weights.
Self-loops are left out.

**PageRank** (score): the stationary distribution of a surfer who, with probability
``damping`` = 0.85, follows one of the current person's out-edges chosen in proportion to its
weight, and otherwise jumps to a customer chosen uniformly. A person with no out-edge (a
*dangling* node) jumps uniformly (the standard treatment, networkx's too). Scores sum to 1.
Power iteration from the uniform vector stops when the L1 norm of the change between two
iterates falls below an **absolute** tolerance, 1e-10 by default, or after ``max_iterations``
(200). Why absolute: the vector always sums to 1, so its L1 change is a statement about the
whole distribution whatever the number of customers; the error left after stopping is at most
``tol * damping / (1 - damping)`` (< 6e-10) in total. At a million customers the smallest
possible score is ``(1 - damping) / N`` = 1.5e-7, so even if all the remaining error sat on one
person it would be under 0.4% of the smallest score. networkx's default, ``N * 1e-6``, allows
a total change of 1 at a million nodes — the size of the whole vector — and stops after one
iteration. At damping 0.85 the change shrinks at least 15% per iteration, so 1e-10 is reached
within ~150 iterations in the worst case and far fewer on real graphs.

**Rank**: 1 for the highest score; equal scores are ordered by customer id (deterministic).

**Reach**: the number of distinct customers within two hops of the person, following the
chosen kinds in either direction, the person excluded: the size of the union of ``N(v)`` and
``N(N(v))``, less one when ``v`` has any neighbour. Computed from a boolean adjacency matrix
as the non-zeros per row of ``A + A A``, in row blocks bounded by the number of paths they
expand, so memory stays bounded at a million customers. A person with very many neighbours (a
hub: the top influencer has tens of thousands of followers at that size) would make ``A A``
copy their whole neighbourhood into every neighbour's row, which is quadratic; so hubs are
taken out of the product and their neighbourhoods kept as bitsets, and the two parts are
combined exactly (see :func:`two_hop_reach`).

**Community**: a partition of the undirected weighted graph of the chosen kinds (each
relationship's weight, once per relationship) found by the Leiden algorithm maximising Newman's
modularity (igraph's ``community_leiden``, in C; Leiden refines Louvain so every community is
connected), iterated until an iteration changes nothing. Its modularity is reported with it.
It replaced a hand-written vectorised Louvain that took 17.8 s at a million people and stopped
at a round cap (docs/DECISIONS.md, "The facts projection"). Ids are 1, 2, … by size, largest
first, ties by smallest customer id; a person related to nobody is a community of one. The
same graph and seed always give the same ids.

Results are stored on the Customer nodes (pagerank, influence_rank, reach, community,
influence_at) with one bulk statement by key (``influence_store``), so the 360 card and the
views read them without recomputing.

The inputs come from the facts projection (:mod:`graph360.facts`: the customers' ids and the
RELATED pairs as integer codes) unless ``use_facts`` is false, when the ``influence_*`` named
queries read them from the store (the direct path the property tests compare it with).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from graph360 import facts as facts_
from graph360 import model
from graph360.errors import NotFoundError
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = [
    "DAMPING",
    "MAX_ITERATIONS",
    "TOLERANCE",
    "InfluenceGraph",
    "InfluenceResult",
    "PageRank",
    "build_graph",
    "communities",
    "compute_influence",
    "influence",
    "modularity",
    "pagerank",
    "store_influence",
    "stored_influence",
    "top_influencers",
    "two_hop_reach",
]

DAMPING = 0.85
TOLERANCE = 1e-10
MAX_ITERATIONS = 200
SEED = 360
#: Nodes with more neighbours than this are hubs for the reach computation.
HUB_DEGREE = 512
#: At most this many hubs get a bitset (n/8 bytes each); any further ones are treated as
#: ordinary nodes (still exact, only slower).
MAX_HUBS = 1024
#: Paths expanded per block of rows in the reach product (bounds its memory).
REACH_BLOCK_PATHS = 20_000_000
#: Community detection stops when a Leiden iteration raises modularity by less than this.
MIN_MODULARITY_GAIN = 1e-3
#: Above this many pairs, one Leiden iteration (see :func:`communities`).
LARGE_GRAPH_EDGES = 1_000_000
#: Rows per UNWIND when scores are written to Neo4j.
STORE_BATCH = 10_000
#: The keys of those rows' maps: the properties they set (Neo4j's linter checks map keys).
_NEO4J_COLUMNS = ("customer_id", "pagerank", "influence_rank", "reach", "community", "influence_at")
_SCORES = ("pagerank", "influence_rank", "reach", "community")

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


# --- the graph ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InfluenceGraph:
    """The customers (sorted ids: row ``i`` is ``ids[i]``) and two sparse projections.

    ``influence[i, j]`` is the total weight of influence flowing from ``i`` to ``j`` (``j``
    holds it); ``undirected`` is the symmetric weighted adjacency (each relationship once per
    direction, whatever its kind), with no diagonal.
    """

    ids: np.ndarray
    influence: sp.csr_matrix
    undirected: sp.csr_matrix
    relationships: int

    @property
    def size(self) -> int:
        return len(self.ids)


def build_graph(
    ids: Iterable[str] | np.ndarray,
    sources: Sequence[str] | np.ndarray,
    targets: Sequence[str] | np.ndarray,
    kinds: Sequence[str] | np.ndarray,
    weights: Sequence[float | None] | np.ndarray,
) -> InfluenceGraph:
    """The sparse projections of the customers ``ids`` and their relationships (one per row).

    ``sources``/``targets`` are the RELATED relationship's endpoints as stored (for
    ``referred`` and ``follows`` that is already the direction of influence). Ids are matched
    with Arrow's hash lookups (a million customers, millions of relationships: seconds).
    """
    values = ids if isinstance(ids, np.ndarray) else np.asarray(list(ids), dtype=object)
    unique = pc.unique(pa.array(values, pa.string()))
    customer_ids = unique.take(pc.sort_indices(unique))
    src = _positions(sources, customer_ids)
    dst = _positions(targets, customer_ids)
    if (src < 0).any() or (dst < 0).any():
        raise NotFoundError("a relationship names a customer that is not in the graph")
    weight = pd.to_numeric(pd.Series(weights, dtype=object), errors="coerce")
    symmetric = pd.Series(kinds, dtype=object).isin(model.SYMMETRIC_KINDS).to_numpy()
    return _graph(
        customer_ids.to_numpy(zero_copy_only=False),
        src,
        dst,
        symmetric,
        weight.to_numpy(dtype=np.float64),
    )


def _graph(
    customer_ids: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    symmetric: np.ndarray,
    weight: np.ndarray,
) -> InfluenceGraph:
    """The projections from positions into the sorted ``customer_ids`` (weight NaN: 1)."""
    n = len(customer_ids)
    weight = np.where(np.isnan(weight), 1.0, weight)
    keep = (src != dst) & (weight > 0)
    src, dst, weight, both = src[keep], dst[keep], weight[keep], symmetric[keep]
    rows = np.concatenate([src, dst[both]])
    cols = np.concatenate([dst, src[both]])
    vals = np.concatenate([weight, weight[both]])
    influence = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))  # duplicates are summed
    undirected = sp.csr_matrix(
        (np.r_[weight, weight], (np.r_[src, dst], np.r_[dst, src])), shape=(n, n)
    )
    return InfluenceGraph(customer_ids, influence, undirected, int(keep.sum()))


def _graph_from_facts(projection: facts_.Facts, kinds: tuple[str, ...]) -> InfluenceGraph:
    """:func:`build_graph` from the facts: the RELATED pairs are codes already, so the only
    work left is ordering the customers by id (the order ranks and community ids break ties
    by)."""
    keys = projection.keys("customers")
    order = np.asarray(pc.sort_indices(pa.array(keys, pa.string())), dtype=np.int64)
    position = np.empty(len(keys), dtype=np.int64)
    position[order] = np.arange(len(keys))
    kind, names = projection.codes("related", "kind")
    chosen = np.array([name in kinds for name in names] + [False], dtype=bool)[kind]
    symmetric = np.array([name in model.SYMMETRIC_KINDS for name in names] + [False])[kind]
    return _graph(
        keys[order],
        position[projection.column("related", "source")[chosen]],
        position[projection.column("related", "target")[chosen]],
        symmetric[chosen],
        projection.column("related", "weight")[chosen],
    )


def _positions(values: Sequence[str] | np.ndarray, ids: pa.Array) -> np.ndarray:
    """Each value's position in ``ids`` (-1 when absent)."""
    found = pc.index_in(pa.array(np.asarray(values, dtype=object), pa.string()), value_set=ids)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


# --- PageRank -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRank:
    scores: np.ndarray
    iterations: int
    converged: bool
    #: The L1 norm of the last change (below ``tolerance`` when converged).
    delta: float
    tolerance: float
    damping: float


def pagerank(
    influence: sp.spmatrix,
    *,
    damping: float = DAMPING,
    tolerance: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> PageRank:
    """Weighted PageRank of ``influence`` (``[i, j]``: weight of the edge ``i -> j``).

    Power iteration ``x <- d P'x + (d dangling(x) + 1 - d) / N`` from the uniform vector, until
    ``sum |x_new - x| < tolerance`` (absolute; see the module docstring) or ``max_iterations``.

    >>> import scipy.sparse as sp
    >>> star = sp.csr_matrix(([1.0, 1.0], ([1, 2], [0, 0])), shape=(3, 3))  # 1→0, 2→0
    >>> result = pagerank(star)
    >>> [round(float(x), 4) for x in result.scores], result.converged  # networkx agrees
    ([0.5745, 0.2128, 0.2128], True)
    """
    n = influence.shape[0]
    if n == 0:
        return PageRank(np.zeros(0), 0, True, 0.0, tolerance, damping)
    matrix = sp.csr_matrix(influence, dtype=np.float64)
    strength = np.asarray(matrix.sum(axis=1)).ravel()
    dangling = strength == 0
    inverse = np.divide(1.0, strength, out=np.zeros(n), where=~dangling)
    transposed = matrix.T.tocsr()
    x = np.full(n, 1.0 / n)
    delta, iterations = np.inf, 0
    while iterations < max_iterations:
        iterations += 1
        spread = transposed @ (x * inverse)
        jump = (damping * x[dangling].sum() + (1.0 - damping)) / n
        new = damping * spread + jump
        delta = float(np.abs(new - x).sum())
        x = new
        if delta < tolerance:
            break
    return PageRank(x, iterations, delta < tolerance, delta, tolerance, damping)


# --- reach --------------------------------------------------------------------------------------


def two_hop_reach(
    adjacency: sp.spmatrix,
    *,
    hub_degree: int = HUB_DEGREE,
    max_hubs: int = MAX_HUBS,
    block_paths: int = REACH_BLOCK_PATHS,
) -> np.ndarray:
    """For each node, how many other nodes lie within two hops (undirected, self excluded).

    ``adjacency`` must be symmetric; its values are ignored (only the pattern counts).

    Exact, in three parts. Let ``H`` be the hubs (more than ``hub_degree`` neighbours, the
    ``max_hubs`` largest) and ``S(v)`` the union of ``N(v)`` and ``N(u)`` for every ``u`` in
    ``N(v)``:

    - ``S_L(v)``, the same union over non-hub ``u`` only: the rows of ``A + A A_L`` (``A_L``
      is ``A`` with the hubs' rows emptied), in row blocks of at most ``block_paths``
      expanded paths;
    - ``U_H(v)``, the union of ``N(h)`` over the hubs ``h`` next to ``v``: every node carries
      a bitmask ``m(x)`` of the hubs it neighbours, so ``x`` is in ``U_H(v)`` exactly when
      ``m(x) & m(v)`` is not 0, and ``|U_H(v)|`` is the popcount of the OR of those hubs'
      neighbourhood bitsets (computed once per distinct mask);
    - ``|S(v)| = |U_H(v)| + |{x in S_L(v) : m(x) & m(v) = 0}|``; ``v`` itself is in ``S(v)``
      exactly when it has a neighbour.

    >>> import scipy.sparse as sp
    >>> path = sp.csr_matrix(([1] * 6, ([0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2])), shape=(5, 5))
    >>> two_hop_reach(path).tolist()  # 0-1-2-3 and an isolated 4
    [2, 3, 3, 2, 0]
    """
    a = sp.csr_matrix(adjacency, dtype=bool)
    a.setdiag(False)
    a.eliminate_zeros()
    a.sort_indices()
    n = a.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    degree = np.diff(a.indptr).astype(np.int64)
    heavy = np.flatnonzero(degree > hub_degree)
    hubs = heavy[np.argsort(-degree[heavy], kind="stable")][:max_hubs]
    is_hub = np.zeros(n, dtype=bool)
    is_hub[hubs] = True

    # Hub masks: bit k of masks[x] is set when x neighbours hub k.
    words = max(1, -(-len(hubs) // 64))
    masks = np.zeros((n, words), dtype=np.uint64)
    for k, hub in enumerate(hubs):
        neighbours = a.indices[a.indptr[hub] : a.indptr[hub + 1]]
        masks[neighbours, k // 64] |= np.uint64(1) << np.uint64(k % 64)
    union = _hub_union_sizes(a, hubs, masks)

    light = a.copy()  # the hubs' rows emptied
    light.data[np.repeat(is_hub, degree)] = False
    light.eliminate_zeros()
    light_degree = np.where(is_hub, 0, degree)
    cost = degree + a.astype(np.int64) @ light_degree  # paths each row expands
    reach = np.zeros(n, dtype=np.int64)
    has_mask = masks.any(axis=1)
    for lo, hi in _blocks(cost, block_paths):
        rows = a[lo:hi]
        block = (rows + rows @ light).tocsr()
        block.sort_indices()
        row_of = np.repeat(np.arange(lo, hi), np.diff(block.indptr))
        cols = block.indices
        outside = np.ones(len(cols), dtype=bool)
        masked = has_mask[row_of]
        if masked.any():
            overlap = (masks[cols[masked]] & masks[row_of[masked]]).any(axis=1)
            outside[np.flatnonzero(masked)[overlap]] = False
        reach[lo:hi] = np.bincount(row_of[outside] - lo, minlength=hi - lo)
    return reach + union - (degree > 0)


def _hub_union_sizes(a: sp.csr_matrix, hubs: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``|U_H(v)|`` for every node: the size of the union of its hubs' neighbourhoods."""
    n = a.shape[0]
    union = np.zeros(n, dtype=np.int64)
    if len(hubs) == 0:
        return union
    has = np.flatnonzero(masks.any(axis=1))
    distinct, inverse = np.unique(masks[has], axis=0, return_inverse=True)
    inverse = inverse.ravel()
    bitsets: dict[int, np.ndarray] = {}

    def bitset(k: int) -> np.ndarray:
        if k not in bitsets:
            member = np.zeros(n, dtype=bool)
            hub = hubs[k]
            member[a.indices[a.indptr[hub] : a.indptr[hub + 1]]] = True
            bitsets[k] = np.packbits(member)
        return bitsets[k]

    sizes = np.empty(len(distinct), dtype=np.int64)
    for d, mask in enumerate(distinct):
        members = [
            w * 64 + b for w, word in enumerate(mask.tolist()) for b in range(64) if word >> b & 1
        ]
        if len(members) == 1:
            hub = hubs[members[0]]
            sizes[d] = a.indptr[hub + 1] - a.indptr[hub]
            continue
        combined = bitset(members[0]).copy()
        for k in members[1:]:
            combined |= bitset(k)
        sizes[d] = int(_POPCOUNT[combined].sum())
    union[has] = sizes[inverse]
    return union


def _blocks(cost: np.ndarray, budget: int) -> Iterable[tuple[int, int]]:
    """Consecutive row ranges whose summed cost stays within ``budget`` (one row at least)."""
    total = np.cumsum(cost)
    lo = 0
    n = len(cost)
    while lo < n:
        base = total[lo - 1] if lo else 0
        hi = int(np.searchsorted(total, base + budget, side="right"))
        hi = max(hi, lo + 1)
        yield lo, min(hi, n)
        lo = hi


# --- communities --------------------------------------------------------------------------------


def communities(
    adjacency: sp.spmatrix, *, seed: int = SEED, max_levels: int | None = None
) -> tuple[np.ndarray, int, bool]:
    """Communities of a symmetric weighted graph by the Leiden algorithm optimising Newman's
    modularity (igraph's ``community_leiden``, C code), one iteration at a time until an
    iteration changes nothing or gains less than :data:`MIN_MODULARITY_GAIN`, or after
    ``max_levels`` iterations: the partition Louvain's method finds, refined so every
    community is connected.

    ``max_levels`` defaults to 10, and to 1 for a graph of more than :data:`LARGE_GRAPH_EDGES`
    pairs. Measured at a million people / two million pairs (2 cores): an iteration costs
    5.7-6 s; the first reaches a modularity of 0.7220, the second 0.7230 (and the third
    stops the loop): two more iterations (11 s) buy 0.14% of modularity. igraph's multilevel
    (Louvain) took 18 s for 0.722, networkit's parallel Louvain (PLM) 2.8-5.5 s for 0.7222 but
    not the same answer twice on two threads, leidenalg 105 s (docs/DECISIONS.md).

    Returns ``(community, iterations, converged)``: ids 1… by size (largest first, ties by
    lowest node index), how many Leiden iterations ran, and whether the last one changed
    nothing or gained less than the threshold (False when the cap stopped it). The same graph
    and seed always give the same ids (igraph draws from a ``random.Random(seed)`` for the
    call).

    >>> import scipy.sparse as sp
    >>> two = sp.csr_matrix(([1.0] * 4, ([0, 1, 2, 3], [1, 0, 3, 2])), shape=(5, 5))
    >>> communities(two)[0].tolist()  # 0-1, 2-3, and 4 alone
    [1, 1, 2, 2, 3]
    """
    labels, iterations, converged, _ = _leiden(adjacency, seed=seed, max_levels=max_levels)
    return labels, iterations, converged


def _leiden(
    adjacency: sp.spmatrix, *, seed: int, max_levels: int | None
) -> tuple[np.ndarray, int, bool, float]:
    """:func:`communities` and the modularity of its answer (from the same graph)."""
    graph = _igraph(adjacency)
    n = graph.vcount()
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0, True, 0.0
    if graph.ecount() == 0:
        return _number_by_size(np.arange(n)), 0, True, 0.0
    if max_levels is None:
        max_levels = 1 if graph.ecount() > LARGE_GRAPH_EDGES else 10
    previous = random.getstate()
    igraph.set_random_number_generator(random.Random(seed))
    try:
        membership: list[int] | None = None
        quality = -1.0
        iterations, converged = 0, False
        for iterations in range(1, max_levels + 1):  # noqa: B007 (reported below)
            found = graph.community_leiden(
                objective_function="modularity",
                weights="weight",
                n_iterations=1,
                initial_membership=membership,
            )
            gain = found.modularity - quality
            unchanged = found.membership == membership
            membership, quality = found.membership, found.modularity
            if unchanged or gain < MIN_MODULARITY_GAIN:
                converged = True
                break
    finally:
        igraph.set_random_number_generator(random)
        random.setstate(previous)
    labels = np.asarray(membership)
    return _number_by_size(labels), iterations, converged, _modularity(graph, labels)


def modularity(adjacency: sp.spmatrix, community: np.ndarray) -> float:
    """Newman's modularity of a partition of the symmetric weighted graph (igraph's)."""
    graph = _igraph(adjacency)
    return _modularity(graph, np.asarray(community))


def _modularity(graph: igraph.Graph, community: np.ndarray) -> float:
    if graph.ecount() == 0:
        return 0.0
    return float(graph.modularity(community.tolist(), weights="weight"))


def _igraph(adjacency: sp.spmatrix) -> igraph.Graph:
    """The undirected weighted igraph of a symmetric adjacency: each pair once (edge attribute
    ``weight``), the diagonal dropped (the lower triangle mirrors it). ``add_edges`` of a numpy
    array: 0.6 s for two million pairs, against 1.9 s for the same array given to the
    constructor and 2.5 s from Python lists."""
    upper = sp.triu(sp.csr_matrix(adjacency, dtype=np.float64), k=1).tocoo()
    upper.sum_duplicates()  # canonical (row, column) order: the same graph, the same igraph
    graph = igraph.Graph(n=adjacency.shape[0])
    graph.add_edges(np.column_stack([upper.row, upper.col]).astype(np.int64))
    graph.es["weight"] = upper.data
    return graph


def _number_by_size(labels: np.ndarray) -> np.ndarray:
    """Community ids 1.. by size descending, ties by the lowest node index in the community."""
    _, first, inverse, counts = np.unique(
        labels, return_index=True, return_inverse=True, return_counts=True
    )
    first_member = np.full(len(first), len(labels))
    np.minimum.at(first_member, inverse.ravel(), np.arange(len(labels)))
    order = np.lexsort((first_member, -counts))
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.arange(1, len(order) + 1)
    return ids[inverse.ravel()]


# --- the whole computation ----------------------------------------------------------------------


@dataclass
class InfluenceResult:
    """One influence computation: a row per customer, and how the computation went."""

    kinds: tuple[str, ...]
    computed_at: dt.datetime
    customers: int
    relationships: int
    pagerank: PageRank
    community_rounds: int
    communities_converged: bool
    #: customer_id, pagerank, influence_rank, reach, community, community_size; by rank.
    table: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)
    #: Newman's modularity of the communities (the undirected weighted graph).
    modularity: float = 0.0
    #: The graph version the answer reflects (None: read straight from the store).
    as_of: dict[str, Any] | None = None
    #: Rows each write of :func:`store_influence` covered (empty until stored).
    written: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "kinds": list(self.kinds),
            "computed_at": self.computed_at,
            "customers": self.customers,
            "relationships": self.relationships,
            "damping": self.pagerank.damping,
            "tolerance": self.pagerank.tolerance,
            "iterations": self.pagerank.iterations,
            "converged": self.pagerank.converged,
            "delta": self.pagerank.delta,
            "communities": int(self.table["community"].nunique()) if self.customers else 0,
            "community_rounds": self.community_rounds,
            "communities_converged": self.communities_converged,
            "modularity": self.modularity,
            "as_of": self.as_of,
            "written": self.written,
            "seconds": self.seconds,
        }


def compute_influence(
    store: GraphStore,
    *,
    kinds: Iterable[str] | None = None,
    damping: float = DAMPING,
    tolerance: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
    seed: int = SEED,
    now: dt.datetime | None = None,
    use_facts: bool = True,
) -> InfluenceResult:
    """PageRank, rank, reach and community of every customer over the chosen kinds.

    Reads the customers and the RELATED pairs of the chosen kinds (from the facts projection,
    or with ``use_facts`` false from the store's ``influence_*`` queries) and computes in
    scipy and igraph; writes nothing (see :func:`store_influence`).
    """
    chosen = _kinds(kinds)
    started = time.perf_counter()
    as_of = None
    if use_facts:
        projection = facts_.current(store)
        as_of = projection.as_of
        read = time.perf_counter()
        graph = _graph_from_facts(projection, chosen)
    else:
        ids = store.frame("influence_customers")
        edges = store.frame("influence_edges", kinds=list(chosen))
        if edges.empty:
            edges = pd.DataFrame(columns=["source", "target", "kind", "weight"])
        read = time.perf_counter()
        graph = build_graph(
            ids["customer_id"].to_numpy() if len(ids) else np.array([], dtype=object),
            edges["source"].to_numpy(),
            edges["target"].to_numpy(),
            edges["kind"].to_numpy(),
            edges["weight"].to_numpy(),
        )
    built = time.perf_counter()
    rank = pagerank(
        graph.influence, damping=damping, tolerance=tolerance, max_iterations=max_iterations
    )
    ranked = time.perf_counter()
    reach = two_hop_reach(graph.undirected)
    reached = time.perf_counter()
    community, rounds, settled, quality = _leiden(graph.undirected, seed=seed, max_levels=None)
    grouped = time.perf_counter()
    order = np.lexsort((graph.ids, -rank.scores))  # by score, ties by customer id
    influence_rank = np.empty(graph.size, dtype=np.int64)
    influence_rank[order] = np.arange(1, graph.size + 1)
    sizes = np.bincount(community)[community] if graph.size else np.zeros(0, dtype=np.int64)
    table = pd.DataFrame(
        {
            "customer_id": graph.ids,
            "pagerank": rank.scores,
            "influence_rank": influence_rank,
            "reach": reach,
            "community": community,
            "community_size": sizes,
        }
    ).iloc[order]
    return InfluenceResult(
        kinds=chosen,
        computed_at=now or utc_now(),
        customers=graph.size,
        relationships=graph.relationships,
        pagerank=rank,
        community_rounds=rounds,
        communities_converged=settled,
        table=table.reset_index(drop=True),
        seconds={
            "read": read - started,
            "build": built - read,
            "pagerank": ranked - built,
            "reach": reached - ranked,
            "communities": grouped - reached,
        },
        modularity=quality,
        as_of=as_of,
    )


#: The three writes of :func:`store_influence`: query, its properties (Neo4j's map keys), and
#: the Arrow columns of its LadybugDB variant.
_WRITES = {
    "influence_store": (
        _NEO4J_COLUMNS,
        ("k", "v_pagerank", "v_rank", "v_reach", "v_community", "v_at"),
    ),
    "influence_store_pagerank": (
        ("customer_id", "pagerank", "influence_at"),
        ("k", "v_pagerank", "v_at"),
    ),
    "influence_store_time": (("customer_id", "influence_at"), ("k", "v_at")),
}


def store_influence(store: GraphStore, result: InfluenceResult) -> int:
    """Write every customer's pagerank, influence_rank, reach, community and influence_at
    by customer id (no other property changes). Returns rows written.

    Only what changed is written: the stored scores are read first (``influence_scores``,
    0.3 s at a million customers), then three writes by key, each over its own rows:
    ``influence_store`` (all five) where rank, reach or community changed,
    ``influence_store_pagerank`` where only the PageRank did (after any change to the graph
    nearly every score moves a little), ``influence_store_time`` (the time alone) elsewhere.
    A LadybugDB write costs about 0.6 s a million rows for the key lookup and 1.3 s a million
    for each property set (docs/DECISIONS.md), so a run on an unchanged graph writes one
    column, not five. On LadybugDB each is one ``LOAD FROM`` of an Arrow table matched by
    primary key; on Neo4j an ``UNWIND`` of :data:`STORE_BATCH` rows at a time; all in one
    transaction.
    """
    frame = result.table
    n = len(frame)
    if n == 0:
        return 0
    ids = frame["customer_id"].to_numpy(dtype=object)
    stored = store.frame("influence_scores")
    if stored.empty:
        stored = pd.DataFrame(columns=["customer_id", *_SCORES])
    before = stored.drop_duplicates("customer_id").set_index("customer_id").reindex(ids)

    def differs(column: str) -> np.ndarray:
        old = pd.to_numeric(before[column], errors="coerce").to_numpy(dtype=np.float64)
        new = frame[column].to_numpy(dtype=np.float64)
        return ~(old == new)  # a NaN (never stored) differs

    scores = differs("influence_rank") | differs("reach") | differs("community")
    moved = ~scores & differs("pagerank")
    columns = {
        "k": pa.array(ids, pa.string()),
        "v_pagerank": pa.array(frame["pagerank"].to_numpy(), pa.float64()),
        "v_rank": pa.array(frame["influence_rank"].to_numpy(), pa.int64()),
        "v_reach": pa.array(frame["reach"].to_numpy(), pa.int64()),
        "v_community": pa.array(frame["community"].to_numpy(), pa.int64()),
        "v_at": pa.array(np.full(n, np.datetime64(result.computed_at, "us")), pa.timestamp("us")),
    }
    chosen = {
        "influence_store": scores,
        "influence_store_pagerank": moved,
        "influence_store_time": ~scores & ~moved,
    }
    with store.atomic():
        for name, mask in chosen.items():
            if not mask.any():
                continue
            keys, arrow_columns = _WRITES[name]
            rows = pa.table({c: columns[c] for c in arrow_columns}).filter(pa.array(mask))
            if store.backend == "ladybug":
                store.write(name, rows=rows)
                continue
            named = rows.rename_columns(list(keys))  # map keys: the properties
            for start in range(0, rows.num_rows, STORE_BATCH):
                store.write(name, rows=named.slice(start, STORE_BATCH).to_pylist())
    result.written = {name: int(mask.sum()) for name, mask in chosen.items()}
    return n


def top_influencers(store: GraphStore, result: InfluenceResult, n: int = 20) -> list[dict]:
    """The ``n`` highest-ranked customers with their names, as plain rows."""
    top = result.table.head(max(n, 0))
    names = {
        r["customer_id"]: r["name"]
        for r in store.query("influence_names", ids=top["customer_id"].tolist())
    }
    return [
        {
            "rank": int(row.influence_rank),
            "customer_id": row.customer_id,
            "name": names.get(row.customer_id),
            "pagerank": float(row.pagerank),
            "reach": int(row.reach),
            "community": int(row.community),
            "community_size": int(row.community_size),
        }
        for row in top.itertuples(index=False)
    ]


def influence(
    store: GraphStore,
    *,
    top: int = 20,
    kinds: Iterable[str] | None = None,
    save: bool = True,
    now: dt.datetime | None = None,
    use_facts: bool = True,
) -> tuple[InfluenceResult, list[dict]]:
    """Compute, store (unless ``save`` is false) and return the top ``top`` customers."""
    result = compute_influence(store, kinds=kinds, now=now, use_facts=use_facts)
    if save:
        started = time.perf_counter()
        store_influence(store, result)
        result.seconds["store"] = time.perf_counter() - started
    return result, top_influencers(store, result, top)


def stored_influence(store: GraphStore, limit: int = 20) -> list[dict[str, Any]]:
    """The ranking as last stored on the Customer nodes (nothing is recomputed)."""
    return store.query("influence_stored", limit=limit)


def _kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return model.RELATIONSHIP_KINDS
    chosen = tuple(dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in model.RELATIONSHIP_KINDS]
    if unknown:
        raise NotFoundError(
            f"no relationship kind {', '.join(unknown)} "
            f"(kinds: {', '.join(model.RELATIONSHIP_KINDS)})"
        )
    return chosen or model.RELATIONSHIP_KINDS
