"""Every customer's influence scores: computed, stored on the Customer nodes, read back."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from graph360 import facts as facts_
from graph360 import model
from graph360.analytics.influence.graph import build_graph, graph_from_facts
from graph360.analytics.influence.measures import (
    DAMPING,
    MAX_ITERATIONS,
    SEED,
    TOLERANCE,
    PageRank,
    leiden,
    pagerank,
    two_hop_reach,
)
from graph360.errors import NotFoundError
from graph360.periods import utc_now
from graph360.store.base import GraphStore

#: Rows per UNWIND when scores are written to Neo4j.
STORE_BATCH = 10_000
#: The keys of those rows' maps: the properties they set (Neo4j's linter checks map keys).
_NEO4J_COLUMNS = ("customer_id", "pagerank", "influence_rank", "reach", "community", "influence_at")
_SCORES = ("pagerank", "influence_rank", "reach", "community")


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
        graph = graph_from_facts(projection, chosen)
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
    community, rounds, settled, quality = leiden(graph.undirected, seed=seed, max_levels=None)
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
