"""The influence graph: customers as nodes, RELATED edges pointing at who holds sway."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from graph360 import model
from graph360.errors import NotFoundError
from graph360.facts.tables import Facts


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


def graph_from_facts(projection: Facts, kinds: tuple[str, ...]) -> InfluenceGraph:
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
