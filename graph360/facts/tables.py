"""The projection in memory: its tables, the Facts that holds them, joins of their code columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: table name -> (label, properties read). The key comes first (``key``), except as noted.
NODE_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "customers": ("Customer", ("segment", "persona", "region")),
    "departments": ("Department", ("name", "division")),
    "campaigns": ("Campaign", ("channel", "started_at", "ended_at")),
    "steps": ("JourneyStep", ("name", "stage", "position", "journey_id")),
    "journeys": ("Journey", ("name",)),
    "products": ("Product", ("name", "category")),
    "accounts": ("Account", ("kind", "status", "opened_at", "value")),
    "touchpoints": (
        "Touchpoint",
        ("at", "channel", "kind", "outcome", "value", "rating", "rating_scale", "source"),
    ),
    # which systems know a customer (graph360.analytics.coverage)
    "records": ("SourceRecord", ("source",)),
}
#: table name -> (relationship type, properties read).
PAIR_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "had": ("HAD", ()),
    "handled_by": ("HANDLED_BY", ()),
    "from_campaign": ("FROM_CAMPAIGN", ()),
    "at_step": ("AT_STEP", ()),
    "for_product": ("FOR_PRODUCT", ()),
    "run_by": ("RUN_BY", ()),
    "targets": ("TARGETS", ("added_at",)),
    "related": ("RELATED", ("kind", "weight")),
    "holds": ("HOLDS", ("role",)),
    "managed_by": ("MANAGED_BY", ()),
    "owned_by": ("OWNED_BY", ()),
    "has_step": ("HAS_STEP", ()),
    "next": ("NEXT", ()),
    "identified_by": ("IDENTIFIED_BY", ()),
}
#: The remarks table: the touchpoints the rules and the value scores name one by one (every
#: rated touchpoint and every complaint), as ``touchpoint`` codes with their key, text and
#: resolution (``facts_remarks``; no key or text for all ten million).
REMARKS = "remarks"
#: The voices table: every touchpoint of a voice kind with a text, and every one with a source
#: sentiment or a rating (``facts_voices``), as
#: ``touchpoint`` codes with their key, text (dictionary-encoded: texts repeat) and
#: ``sentiment``, the one the analytics read: the source's where it gave one, else the one
#: computed at load (``computed`` says which; graph360.ingest.sentiment).
VOICES = "voices"
_TABLE_OF_LABEL = {label: name for name, (label, _) in NODE_TABLES.items()}


@dataclass
class Facts:
    """One projection of the graph, at one version. ``tables`` are Arrow tables by name."""

    version: int
    written_at: dt.datetime | None
    built_at: dt.datetime
    location: str
    tables: dict[str, pa.Table]
    #: Nodes per label and relationships per type when it was read (``facts_counts``).
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    #: Set on a projection restricted to some customers (graph360.facts.people): a boolean
    #: per customer and per touchpoint code saying which are in it; None: all are.
    customers_in_scope: np.ndarray | None = field(default=None, repr=False)
    touchpoints_in_scope: np.ndarray | None = field(default=None, repr=False)
    _columns: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    _codes: dict[tuple[str, str], tuple[np.ndarray, list[Any]]] = field(
        default_factory=dict, repr=False
    )
    _lookups: dict[tuple[str, str], np.ndarray | None] = field(default_factory=dict, repr=False)
    _ranks: dict[str, tuple[np.ndarray, pd.Index]] = field(default_factory=dict, repr=False)
    _derived: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    #: Derived results kept at once (each can be hundreds of MB at 1M/10M: the period's
    #: touchpoint rows).
    DERIVED_KEPT: ClassVar[int] = 2

    def derived(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """``make()``, kept under ``key`` with the last few others: one analytic's rows reused
        by the next that asks the same (the overlap view's reach and collisions read the
        same period's touchpoints). The projection never changes, so nothing goes stale."""
        if key not in self._derived:
            while len(self._derived) >= self.DERIVED_KEPT:
                self._derived.pop(next(iter(self._derived)))
            self._derived[key] = make()
        return self._derived[key]

    def join(self, left: np.ndarray, table: str, end: str) -> tuple[np.ndarray, np.ndarray]:
        """:func:`join` of ``left`` with the ``end`` column of the pair table ``table``; the
        lookup array for a unique column is made once and kept (a touchpoint's one
        department, its one campaign)."""
        key = (table, end)
        if key not in self._lookups:
            right = self.column(table, end)
            size = int(right.max()) + 1 if len(right) else 0
            unique = len(right) == 0 or np.bincount(right, minlength=size).max() <= 1
            lookup = None
            if unique:
                lookup = np.full(size, -1, dtype=np.int64)
                lookup[right] = np.arange(len(right))
            self._lookups[key] = lookup
        lookup = self._lookups[key]
        if lookup is None:
            return join(left, self.column(table, end))
        left = np.asarray(left, dtype=np.int64)
        inside = left < len(lookup)
        j = np.full(len(left), -1, dtype=np.int64)
        j[inside] = lookup[left[inside]]
        i = np.flatnonzero(j >= 0)
        return i, j[i]

    @property
    def as_of(self) -> dict[str, Any]:
        """What every answer built on this projection says it reflects."""
        return {
            "graph_version": self.version,
            "written_at": self.written_at,
            "projected_at": self.built_at,
        }

    def size(self, table: str) -> int:
        return self.tables[table].num_rows

    def column(self, table: str, name: str) -> np.ndarray:
        """A column as numpy, decoded once and kept: codes as int64; numbers as float64 (NaN null);
        strings as an object array (None for null); timestamps as int64 microseconds since 1970,
        :data:`NO_TIME` for null."""
        cached = self._columns.get((table, name))
        if cached is None:
            cached = self._columns[(table, name)] = _numpy(self.tables[table].column(name))
        return cached

    def at(self, table: str, name: str, rows: np.ndarray) -> np.ndarray:
        """``column(table, name)[rows]``, decoded for those rows only when the whole column is
        not decoded yet (a few hundred thousand rated touchpoints out of ten million)."""
        cached = self._columns.get((table, name))
        if cached is not None:
            return cached[rows]
        taken = self.tables[table].column(name).take(pa.array(rows, pa.int64()))
        return _numpy(taken)

    def codes(self, table: str, name: str) -> tuple[np.ndarray, list[Any]]:
        """A dictionary-encoded string column as (int64 codes, -1 for null; its values),
        decoded once and kept."""
        cached = self._codes.get((table, name))
        if cached is None:
            cached = self._codes[(table, name)] = self._decode_codes(table, name)
        return cached

    def _decode_codes(self, table: str, name: str) -> tuple[np.ndarray, list[Any]]:
        column = self.tables[table].column(name)
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        column = column.unify_dictionaries() if isinstance(column, pa.ChunkedArray) else column
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        if not chunks:
            return np.zeros(0, dtype=np.int64), []
        values = chunks[0].dictionary.to_pylist()
        indices = pa.chunked_array([c.indices for c in chunks]).cast(pa.int64())
        return indices.fill_null(-1).to_numpy(), values

    def keys(self, table: str) -> np.ndarray:
        """Each node's key by code (an object array)."""
        return self.column(table, "key")

    def key_categories(self, table: str, codes: np.ndarray) -> pd.Categorical:
        """The keys of nodes ``codes`` as a categorical whose categories are every key in
        string order (as ``astype("category")`` of the ids would order them), made once: a
        grouping on it works on integer codes, and a sort by it sorts as the ids."""
        cached = self._ranks.get(table)
        if cached is None:
            keys = self.tables[table].column("key")
            order = pc.sort_indices(keys).to_numpy()
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            categories = pd.Index(self.keys(table)[order])
            cached = self._ranks[table] = (rank, categories)
        rank, categories = cached
        return pd.Categorical.from_codes(rank[codes], dtype=pd.CategoricalDtype(categories))


#: Null timestamps decode to this (int64 microseconds): below every real period bound.
NO_TIME = np.iinfo(np.int64).min


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if pa.types.is_timestamp(kind):
        stamps = pc.cast(column.cast(pa.timestamp("us")), pa.int64())
        return stamps.fill_null(NO_TIME).to_numpy()
    if pa.types.is_integer(kind):
        if column.null_count:
            return column.cast(pa.float64()).fill_null(np.nan).to_numpy()
        return column.cast(pa.int64()).to_numpy()
    if pa.types.is_floating(kind):
        return column.cast(pa.float64()).fill_null(np.nan).to_numpy()
    return np.asarray(column.to_pylist(), dtype=object)


def join(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j) with ``left[i] == right[j]`` (non-negative integer keys), as two index
    arrays ordered by ``i``: the inner join of two code columns, many-to-many.

    When ``right``'s keys are unique (a touchpoint's one customer, its one department) a lookup
    array does it in O(n); otherwise a sort of ``right``.
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if len(left) == 0 or len(right) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    size = int(max(left.max(), right.max())) + 1
    counts = np.bincount(right, minlength=size)
    if counts.max() <= 1:
        lookup = np.full(size, -1, dtype=np.int64)
        lookup[right] = np.arange(len(right))
        j = lookup[left]
        i = np.flatnonzero(j >= 0)
        return i, j[i]
    order = np.argsort(right, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    n_match = counts[left]
    i = np.repeat(np.arange(len(left)), n_match)
    within = np.arange(len(i)) - np.repeat(np.cumsum(n_match) - n_match, n_match)
    j = order[starts[left][i] + within]
    return i, j


def micros(moment: dt.datetime) -> int:
    """A naive UTC datetime as int64 microseconds since 1970 (how :meth:`Facts.column` gives
    timestamps), exactly."""
    delta = moment - dt.datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
