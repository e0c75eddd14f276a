"""The facts projection: the graph's facts the analytics read, as integer-coded Arrow columns.

Why (docs/DECISIONS.md, "The facts projection"): at 1M customers / 10M touchpoints LadybugDB
needs 14-16 s just to return ``(c)-[:HAD]->(t)-[:HANDLED_BY]->(d)``, so an analytic that
re-derives its projection from multi-hop Cypher on every call cannot answer in seconds. One-hop
and single-table reads are cheap (``offset(id())`` pairs, column scans), and an Arrow file
memory-maps in milliseconds. So the facts are read once per graph version with cheap Cypher
(the ``facts_*`` named queries, one label or one relationship type each), coded, written as
Arrow IPC files beside the database, and every analytic answers from them with numpy.

What is in it:

- a **node table** per label the analytics read (:data:`NODE_TABLES`): row ``i`` is the node
  with code ``i``; its ``key`` (not for touchpoints on LadybugDB: ten million strings would cost
  seconds, and the few an analytic shows are looked up) and the properties the analytics read;
- a **pair table** per relationship type (:data:`PAIR_TABLES`): ``source`` and ``target`` as
  int32 codes into the end labels' node tables, and the relationship's properties.

Strings are dictionary-encoded (a channel or a kind is a small integer). The handle the
``facts_*`` queries give a node is its offset in its table on LadybugDB and its key on Neo4j
(which has no dense offsets); both become the same codes here, so everything above this module
is backend-blind.

**Versioned.** The graph's version is the ``Meta`` node's counter (``meta_version``); every
committed write bumps it (:func:`bump_version`, called by the writer inside its transaction).
A projection records the version it was read at; :func:`current` compares it with the graph's
on every call (one key lookup, milliseconds) and never hands out a stale one: it rebuilds, or,
with ``rebuild=False``, raises :class:`StaleFactsError`. Every answer built on it carries
:attr:`Facts.as_of`.

**Where.** ``<database>.facts/`` beside an embedded database; ``$GRAPH360_FACTS_DIR/<hash of
the location>`` when that is set (a read-only database, or Neo4j), else the user's cache folder
for Neo4j. A rebuild writes a new folder and swaps it in, so a reader never sees half a one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from graph360 import model, named_queries
from graph360.errors import StoreError
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = [
    "FORMAT",
    "META",
    "NODE_TABLES",
    "NO_TIME",
    "PAIR_TABLES",
    "REMARKS",
    "VOICES",
    "Facts",
    "StaleFactsError",
    "build",
    "bump_version",
    "current",
    "facts_dir",
    "graph_counts",
    "graph_version",
    "invalidate",
    "is_current",
    "join",
    "load",
    "micros",
    "refresh",
]

#: Bump when the files' layout changes: a projection of another format is rebuilt.
FORMAT = 5
#: The Meta node whose counter is the graph's version.
META = "graph"

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
_MANIFEST = "manifest.json"


class StaleFactsError(StoreError):
    """The stored projection is older than the graph and was not to be rebuilt."""


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


# --- the graph's version -------------------------------------------------------------------------


def graph_version(store: GraphStore) -> tuple[int, dt.datetime | None]:
    """The graph's version and when it was last bumped; (0, None) before the first bump."""
    rows = store.query("meta_version", meta=META)
    if not rows:
        return 0, None
    return int(rows[0]["version"] or 0), rows[0]["written_at"]


def graph_counts(store: GraphStore) -> dict[str, int]:
    """Nodes per label and relationships per type of what the projection reads (zeros left
    out, so an engine that drops an empty count and one that returns 0 agree)."""
    return {r["name"]: int(r["n"]) for r in store.query("facts_counts") if r["n"]}


def is_current(store: GraphStore, facts: Facts) -> bool:
    """Whether ``facts`` reflects the graph as it is: the same version and the same counts
    (the counts catch inserts and deletes by a writer that did not bump the version)."""
    return graph_version(store)[0] == facts.version and graph_counts(store) == facts.counts


def bump_version(store: GraphStore, now: dt.datetime | None = None) -> int:
    """Bump the graph's version; call it inside the writer's ``store.atomic()`` block, so the
    bump commits (or rolls back) with the write. Returns the new version."""
    moment = now or utc_now()
    return int(store.write("meta_bump", meta=META, now=moment)[0]["version"])


# --- reading the graph --------------------------------------------------------------------------


def _read(store: GraphStore, name: str, params: dict[str, Any] | None = None) -> pa.Table:
    """One ``facts_*`` named query's rows as Arrow (the store's columnar path where it has one)."""
    named = named_queries.get(name, store.backend)
    try:
        return store._arrow(named.text, params or {})
    except StoreError:
        raise
    except Exception as error:  # a backend error, named after the query
        message = str(error).splitlines()[0] if str(error) else repr(error)
        raise StoreError(message, query=name) from error


def _conform(table: pa.Table, columns: dict[str, pa.DataType]) -> pa.Table:
    """``table`` with exactly ``columns`` in their types (an empty answer may have none)."""
    arrays = []
    for name, kind in columns.items():
        if name in table.column_names:
            arrays.append(table.column(name).cast(kind))
        else:
            arrays.append(pa.chunked_array([pa.nulls(table.num_rows, kind)]))
    return pa.Table.from_arrays(arrays, names=list(columns))


def _encode(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.dictionary_encode(column) if pa.types.is_string(column.type) else column


def _positions(handles: pa.ChunkedArray, universe: pa.ChunkedArray) -> np.ndarray:
    """Each handle's position in ``universe`` (the node table's handles), -1 when absent.

    Integer handles (LadybugDB offsets) go through a lookup array, O(n); keys through Arrow's
    hash lookup."""
    if pa.types.is_integer(universe.type):
        base = universe.to_numpy().astype(np.int64)
        wanted = handles.to_numpy().astype(np.int64) if len(handles) else np.zeros(0, np.int64)
        size = int(max(base.max(initial=-1), wanted.max(initial=-1))) + 1
        lookup = np.full(size, -1, dtype=np.int64)
        lookup[base] = np.arange(len(base))
        return lookup[wanted]
    found = pc.index_in(handles, value_set=universe.combine_chunks())
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def build(store: GraphStore) -> Facts:
    """Read every ``facts_*`` query and code it: a new projection at the graph's version.

    The version is read before and after; a write committed in between makes it read again
    (at most three times, then it is an error: the graph does not stand still long enough).
    """
    for _attempt in range(3):
        version, written_at = graph_version(store)
        counts = graph_counts(store)
        facts = _build_once(store, version, written_at)
        facts.counts = counts
        if graph_version(store)[0] == version and graph_counts(store) == counts:
            return facts
    raise StoreError("the graph kept changing while its facts were read; try again")


def _build_once(store: GraphStore, version: int, written_at: dt.datetime | None) -> Facts:
    seconds: dict[str, float] = {}
    tables: dict[str, pa.Table] = {}
    handles: dict[str, pa.ChunkedArray] = {}
    keyed = store.backend != "ladybug"  # the handle is the key itself
    for name, (label, props) in NODE_TABLES.items():
        started = time.perf_counter()
        node = model.node(label)
        handle_type = pa.string() if keyed else pa.int64()
        types = {"h": handle_type}
        if not keyed and name != "touchpoints":
            types["key"] = pa.string()
        types |= {p: model.ARROW_TYPES[node.columns[p]] for p in props}
        raw = _conform(_read(store, f"facts_{name}"), types)
        handles[label] = raw.column("h")
        columns = {}
        if keyed:
            columns["key"] = raw.column("h")
        elif "key" in types:
            columns["key"] = raw.column("key")
        columns |= {p: _encode(raw.column(p)) for p in props}
        tables[name] = pa.table(columns) if columns else pa.table({})
        seconds[name] = time.perf_counter() - started
    for name, (rel_type, props) in PAIR_TABLES.items():
        started = time.perf_counter()
        rel = model.relationship(rel_type)
        handle_type = pa.string() if keyed else pa.int64()
        types = {"source": handle_type, "target": handle_type}
        types |= {p: model.ARROW_TYPES[rel.properties[p]] for p in props}
        raw = _conform(_read(store, f"facts_{name}"), types)
        source = _positions(raw.column("source"), handles[rel.source])
        target = _positions(raw.column("target"), handles[rel.target])
        ok = (source >= 0) & (target >= 0)  # a node that appeared between the two reads
        columns = {
            "source": pa.array(source[ok].astype(np.int32)),
            "target": pa.array(target[ok].astype(np.int32)),
        }
        mask = pa.array(ok)
        columns |= {p: _encode(raw.column(p).filter(mask)) for p in props}
        tables[name] = pa.table(columns)
        seconds[name] = time.perf_counter() - started
    started = time.perf_counter()
    tables[REMARKS] = _remarks(store, handles["Touchpoint"])
    seconds[REMARKS] = time.perf_counter() - started
    started = time.perf_counter()
    tables[VOICES] = _voices(store, handles["Touchpoint"], tables)
    seconds[VOICES] = time.perf_counter() - started
    now = utc_now()
    return Facts(version, written_at, now, store.location, tables, seconds=seconds)


def _remarks(store: GraphStore, touchpoints: pa.ChunkedArray) -> pa.Table:
    """The remarks table (:data:`REMARKS`), its rows in touchpoint-code order."""
    from graph360.model import COMPLAINT_KINDS

    node = model.node("Touchpoint")
    types = {
        "h": touchpoints.type,
        "key": pa.string(),
        "text": model.ARROW_TYPES[node.columns["text"]],
        "resolution": model.ARROW_TYPES[node.columns["resolution"]],
    }
    raw = _conform(_read(store, "facts_remarks", {"kinds": list(COMPLAINT_KINDS)}), types)
    code = _positions(raw.column("h"), touchpoints)
    ok = code >= 0
    order = np.argsort(code[ok], kind="stable")
    picked = pa.array(np.flatnonzero(ok)[order])
    columns = {"touchpoint": pa.array(code[ok][order].astype(np.int32))}
    for c in ("key", "text", "resolution"):
        columns[c] = raw.column(c).take(picked)
    return pa.table(columns)


def _voices(
    store: GraphStore, touchpoints: pa.ChunkedArray, tables: dict[str, pa.Table]
) -> pa.Table:
    """The voices table (:data:`VOICES`), its rows in touchpoint-code order, each with what
    the analytics of voices filter and group by (its step, department, customer, time and
    rating) copied from the tables read before: joined once here, not on every question."""
    from graph360.model import VOICE_KINDS

    node = model.node("Touchpoint")
    types = {
        "h": touchpoints.type,
        "key": pa.string(),
        "text": model.ARROW_TYPES[node.columns["text"]],
        "sentiment": pa.float64(),
        "sentiment_computed": pa.float64(),
        "agent_id": pa.string(),
    }
    raw = _conform(_read(store, "facts_voices", {"kinds": list(VOICE_KINDS)}), types)
    code = _positions(raw.column("h"), touchpoints)
    ok = code >= 0
    order = np.argsort(code[ok], kind="stable")
    picked = pa.array(np.flatnonzero(ok)[order])
    codes = code[ok][order]
    given = raw.column("sentiment").take(picked)
    computed = raw.column("sentiment_computed").take(picked)
    columns = {
        "touchpoint": pa.array(codes.astype(np.int32)),
        "key": raw.column("key").take(picked),
        "text": _encode(raw.column("text").take(picked)),
        "sentiment": pc.coalesce(given, computed),
        "computed": pc.and_(pc.is_null(given), pc.is_valid(computed)),
        "agent": _encode(raw.column("agent_id").take(picked)),
    }
    for name, pairs, end in (
        ("step", "at_step", "target"),
        ("department", "handled_by", "target"),
        ("customer", "had", "source"),
    ):
        lookup = np.full(len(touchpoints), -1, dtype=np.int32)
        here = "source" if end == "target" else "target"
        lookup[tables[pairs].column(here).to_numpy()] = tables[pairs].column(end).to_numpy()
        columns[name] = pa.array(lookup[codes])
    taken = tables["touchpoints"].take(pa.array(codes, pa.int64()))
    for name in ("at", "rating", "rating_scale"):
        columns[name] = taken.column(name)
    return pa.table(columns)


# --- files ---------------------------------------------------------------------------------------


def facts_dir(store: GraphStore) -> Path:
    """Where ``store``'s projection lives (see the module docstring)."""
    configured = os.environ.get("GRAPH360_FACTS_DIR")
    digest = hashlib.sha256(store.location.encode()).hexdigest()[:16]
    if configured:
        return Path(configured) / digest
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        return path.with_name(path.name + ".facts")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "graph360" / "facts" / digest


def save(facts: Facts, folder: Path) -> None:
    """Write the projection as uncompressed Arrow IPC files (memory-mapped when read), into a
    new folder swapped in whole."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f"{folder.name}.new-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name, table in facts.tables.items():
        feather.write_feather(table, staging / f"{name}.arrow", compression="uncompressed")
    manifest = {
        "format": FORMAT,
        "version": facts.version,
        "written_at": facts.written_at.isoformat() if facts.written_at else None,
        "built_at": facts.built_at.isoformat(),
        "location": facts.location,
        "rows": {name: table.num_rows for name, table in facts.tables.items()},
        "counts": facts.counts,
    }
    (staging / _MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    old = folder.with_name(f"{folder.name}.old-{os.getpid()}-{threading.get_ident()}")
    if folder.exists():
        os.replace(folder, old)
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)


def load(folder: Path) -> Facts | None:
    """The projection stored in ``folder``; None when there is none or it is of another format."""
    try:
        manifest = json.loads((folder / _MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT:
        return None
    tables = {}
    for name in [*NODE_TABLES, *PAIR_TABLES, REMARKS, VOICES]:
        try:
            tables[name] = feather.read_table(folder / f"{name}.arrow", memory_map=True)
        except (OSError, pa.ArrowInvalid):
            return None
    written = manifest["written_at"]
    return Facts(
        version=int(manifest["version"]),
        written_at=dt.datetime.fromisoformat(written) if written else None,
        built_at=dt.datetime.fromisoformat(manifest["built_at"]),
        location=manifest["location"],
        tables=tables,
        counts={k: int(v) for k, v in manifest.get("counts", {}).items()},
    )


# --- the current projection ---------------------------------------------------------------------

_cache: dict[str, Facts] = {}
_lock = threading.Lock()


def current(store: GraphStore, *, rebuild: bool = True) -> Facts:
    """The projection at the graph's current version: this process's copy, else the stored one,
    else (``rebuild``) a new one, stored; a stale one is never returned.

    Raises :class:`StaleFactsError` when there is none at the current version and ``rebuild``
    is false.
    """
    version, _ = graph_version(store)
    counts = graph_counts(store)

    def fresh(facts: Facts | None) -> bool:
        return facts is not None and facts.version == version and facts.counts == counts

    with _lock:
        kept = _cache.get(store.location)
        if fresh(kept):
            assert kept is not None
            return kept
        folder = facts_dir(store)
        stored = load(folder)
        if fresh(stored):
            assert stored is not None
            _cache[store.location] = stored
            return stored
        if not rebuild:
            have = "none" if stored is None else f"version {stored.version}"
            raise StaleFactsError(
                f"the facts projection of {store.location} is stale ({have}; the graph is at "
                f"version {version}): run `graph360 facts rebuild`"
            )
        return _refresh_locked(store, folder)


def refresh(store: GraphStore) -> Facts:
    """Read the projection afresh and store it (``graph360 facts rebuild``; a writer after a
    commit). Today a whole re-read: refreshing only what a write changed is not done yet."""
    with _lock:
        return _refresh_locked(store, facts_dir(store))


def _refresh_locked(store: GraphStore, folder: Path) -> Facts:
    facts = build(store)
    with contextlib.suppress(OSError):  # a read-only place: it still serves this process
        save(facts, folder)
    _cache[store.location] = facts
    return facts


def invalidate(store: GraphStore) -> None:
    """Forget this process's copy and delete the stored projection (the next :func:`current`
    rebuilds). Bumping the version (:func:`bump_version`) is enough to make them unused; this
    also frees the disk."""
    with _lock:
        _cache.pop(store.location, None)
        shutil.rmtree(facts_dir(store), ignore_errors=True)


# --- joins ---------------------------------------------------------------------------------------


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
