"""Who each unit reached, the pairwise overlap of those sets and their exclusive
intersections (see the package's docstring for the definitions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from graph360 import arrays
from graph360.analytics.overlap.base import By, Units, _as_of, _reader
from graph360.analytics.overlap.projection import _project, _Projection
from graph360.store.base import GraphStore


@dataclass
class Reach:
    """Who each unit reached: ``matrix[i, j]`` is 1 when unit j reached ``customers[i]``."""

    units: Units
    customers: np.ndarray
    matrix: sparse.csr_matrix
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    #: The graph version the answer reflects (None: read straight from the store).
    as_of: dict[str, Any] | None = None

    @property
    def sizes(self) -> np.ndarray:
        return np.asarray(self.matrix.sum(axis=0)).ravel().astype(np.int64)


def reach(
    store: GraphStore,
    *,
    by: By = "department",
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    use_facts: bool = True,
) -> Reach:
    """The customers each unit reached in the period (campaign targets and touchpoints)."""
    reader = _reader(store, use_facts)
    reached = _reach(_project(reader, by, since, until))
    reached.as_of = _as_of(reader)
    return reached


def pairwise_overlap(reached: Reach) -> list[dict[str, Any]]:
    """Every pair of units: sizes, intersection, union, Jaccard and overlap coefficient.

    Ordered by the intersection, largest first, then by the units' order.
    """
    counts = (reached.matrix.T @ reached.matrix).toarray().astype(np.int64)
    sizes = np.diag(counts)
    ids, names = reached.units.ids, reached.units.names
    rows = []
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            both = int(counts[a, b])
            union = int(sizes[a] + sizes[b] - both)
            smaller = int(min(sizes[a], sizes[b]))
            rows.append(
                {
                    "unit_a": ids[a],
                    "unit_b": ids[b],
                    "name_a": names[a],
                    "name_b": names[b],
                    "customers_a": int(sizes[a]),
                    "customers_b": int(sizes[b]),
                    "both": both,
                    "union": union,
                    "jaccard": both / union if union else None,
                    "overlap": both / smaller if smaller else None,
                }
            )
    order = {(r["unit_a"], r["unit_b"]): i for i, r in enumerate(rows)}
    return sorted(rows, key=lambda r: (-r["both"], order[(r["unit_a"], r["unit_b"])]))


def exclusive_intersections(reached: Reach) -> list[dict[str, Any]]:
    """Every non-empty exclusive intersection: customers reached by exactly these units.

    The counts add up to the number of customers reached at all. Largest first; ties by
    fewer units, then the units' order.
    """
    matrix = reached.matrix
    k = len(reached.units.ids)
    if matrix.shape[0] == 0:
        return []
    if k <= 62:
        # Each customer's combination as one integer (bit j = unit j): a plain integer count.
        bits = matrix.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
        masks, counts = np.unique(bits, return_counts=True)
        combos = (masks[:, None] >> np.arange(k, dtype=np.int64)) & 1
    else:
        combos, counts = np.unique(matrix.toarray().astype(bool), axis=0, return_counts=True)
    total = int(counts.sum())
    rows = []
    for combo, count in zip(combos, counts, strict=True):
        members = [int(j) for j in np.flatnonzero(combo)]
        if not members:
            continue
        rows.append(
            {
                "units": [reached.units.ids[j] for j in members],
                "names": [reached.units.names[j] for j in members],
                "degree": len(members),
                "customers": int(count),
                "share": int(count) / total,
                "_key": tuple(members),
            }
        )
    rows.sort(key=lambda r: (-r["customers"], r["degree"], r["_key"]))
    for row in rows:
        del row["_key"]
    return rows


def _reach(projection: _Projection) -> Reach:
    k = len(projection.units.ids)
    present, rows = arrays.dense_unique(projection.reach_cust)
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, projection.reach_unit)),
        shape=(len(present), k),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1  # (customer, unit) pairs reached several ways count once
    return Reach(
        projection.units,
        projection.customers[present],
        matrix,
        since=projection.since,
        until=projection.until,
    )
