"""The measures over an influence graph: weighted PageRank, two-hop reach, Leiden communities."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

import igraph
import numpy as np
import scipy.sparse as sp

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
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


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
    labels, iterations, converged, _ = leiden(adjacency, seed=seed, max_levels=max_levels)
    return labels, iterations, converged


def leiden(
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
