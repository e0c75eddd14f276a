"""Reading the graph into a projection: each facts_* named query's rows, coded."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph360 import model, named_queries
from graph360.errors import StoreError
from graph360.facts.tables import NODE_TABLES, PAIR_TABLES, REMARKS, VOICES, Facts
from graph360.periods import utc_now
from graph360.store.base import GraphStore


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


def read_projection(store: GraphStore, version: int, written_at: dt.datetime | None) -> Facts:
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
