"""Nested exports (NDJSON, Parquet with structs and lists) as flat columns a mapping can name.

Event warehouses export one nested record per event: GA4's BigQuery export has structs
(``geo.city``, ``device.category``, ``traffic_source.source``) and repeated key/value records
(``event_params``: ``[{key: "page_location", value: {string_value: ..., int_value: ...}}]``).
A mapping names flat columns, so a nested export is flattened first, by one rule:

- a struct becomes one column per field, named with dots: ``geo.city``;
- a list of ``{key, value}`` records becomes one column per key that occurs, named
  ``event_params.page_location``, holding the first non-empty of the value's fields
  (``string_value``, ``int_value``, ``float_value``, ``double_value``, ...) as text;
- any other list (GA4's ``items``) becomes its JSON text.

Everything is done on Arrow arrays (no Python loop per row), so a day of events flattens at
Arrow's speed. Every value comes back as text, "" for missing, as the CSV reader gives it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
import pyarrow.parquet as pq

from graph360.errors import MappingError

__all__ = ["JSON_SUFFIXES", "flatten", "read_nested"]

#: File endings read as newline-delimited JSON (one record a line).
JSON_SUFFIXES = (".ndjson", ".jsonl", ".json")


def read_nested(path: Path, explode: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """A Parquet or NDJSON export as flat text columns, with the physical line of each record
    (NDJSON: the line the record is on; Parquet: the row number + 1, as if a CSV header).

    ``explode`` names a list column whose items become rows of their own (each item's fields
    as ``column.field``, the record's other columns repeated, its line kept): Mailchimp's
    per-recipient ``activity`` list, one row per open or click. A record whose list is empty
    gives no row.
    """
    try:
        if path.suffix.lower() == ".parquet":
            table = pq.read_table(path)
            lines = np.arange(2, table.num_rows + 2, dtype=np.int64)
        else:
            table = pajson.read_json(path)
            lines = _json_lines(path)
            if len(lines) != table.num_rows:
                raise MappingError(f"{path.name}: could not number its records (one JSON a line?)")
    except (pa.ArrowException, OSError) as error:
        kind = "Parquet" if path.suffix.lower() == ".parquet" else "newline-delimited JSON"
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MappingError(f"{path.name}: cannot be read as {kind} ({message})") from None
    if explode is not None:
        table, lines = _explode(path, table, lines, explode)
    return flatten(table), lines


def _explode(
    path: Path, table: pa.Table, lines: np.ndarray, column: str
) -> tuple[pa.Table, np.ndarray]:
    """``column`` is a top-level list, or a struct's list field named with dots (Intercom's
    ``contacts.contacts``): the exploded items replace its flattened text."""
    head, *fields = column.split(".") if column not in table.column_names else [column]
    if head not in table.column_names:
        raise MappingError(f"{path.name}: has no column {column!r} to explode into rows")
    items = table.column(head).combine_chunks()
    for name in fields:
        if not pa.types.is_struct(items.type) or items.type.get_field_index(name) < 0:
            raise MappingError(f"{path.name}: has no column {column!r} to explode into rows")
        items = pc.struct_field(items, [items.type.get_field_index(name)])
    if not (pa.types.is_list(items.type) or pa.types.is_large_list(items.type)):
        raise MappingError(f"{path.name}: column {column!r} is {items.type}, not a list")
    parents = pc.list_parent_indices(items)
    rest = (table.drop_columns([column]) if not fields else table).take(parents)
    exploded = rest.append_column(column, pc.list_flatten(items))
    return exploded, lines[parents.to_numpy()]


def _json_lines(path: Path) -> np.ndarray:
    """The 1-based numbers of the non-blank lines (the reader skips blank ones)."""
    numbers = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                numbers.append(number)
    return np.asarray(numbers, dtype=np.int64)


def flatten(table: pa.Table) -> pd.DataFrame:
    """Every leaf of ``table`` as a text column (see the module docstring for the names)."""
    columns: dict[str, pa.Array] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        _leaves(name, column.combine_chunks(), columns)
    size = table.num_rows
    frame = {name: _text(array, size) for name, array in columns.items()}
    return pd.DataFrame(frame) if frame else pd.DataFrame(index=range(size))


def _leaves(name: str, array: pa.Array, out: dict[str, pa.Array]) -> None:
    kind = array.type
    if pa.types.is_struct(kind):
        for index in range(kind.num_fields):
            child = pc.struct_field(array, [index])
            _leaves(f"{name}.{kind.field(index).name}", child, out)
    elif (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and _is_key_value(kind):
        _key_values(name, array, out)
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind):
        out[name] = pa.array(
            [None if v is None else json.dumps(v, default=str) for v in array.to_pylist()],
            pa.string(),
        )
    else:
        out[name] = array


def _is_key_value(kind: pa.DataType) -> bool:
    item = kind.value_type
    return (
        pa.types.is_struct(item)
        and item.get_field_index("key") >= 0
        and item.get_field_index("value") >= 0
    )


def _key_values(name: str, array: pa.Array, out: dict[str, pa.Array]) -> None:
    """``[{key, value}]`` per row → one column per key, the value's first non-empty field."""
    items = pc.list_flatten(array)
    parents = pc.list_parent_indices(array).to_numpy()
    keys = pc.struct_field(items, ["key"]).cast(pa.string())
    value = pc.struct_field(items, ["value"])
    if pa.types.is_struct(value.type):
        parts = [_as_string(pc.struct_field(value, [i])) for i in range(value.type.num_fields)]
        values = pc.coalesce(*parts) if parts else pa.nulls(len(items), pa.string())
    else:
        values = _as_string(value)
    key_list = keys.to_numpy(zero_copy_only=False)
    value_list = values.to_numpy(zero_copy_only=False)
    size = len(array)
    for key in pd.unique(key_list[pd.notna(key_list)]):
        where = np.flatnonzero(key_list == key)
        column = np.full(size, None, dtype=object)
        # the first occurrence per row wins: write in reverse so earlier ones overwrite
        column[parents[where][::-1]] = value_list[where][::-1]
        out[f"{name}.{key}"] = pa.array(column, pa.string())


def _as_string(array: pa.Array) -> pa.Array:
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    text = array.cast(pa.string())
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _text(array: pa.Array, size: int) -> pd.Series:
    if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type):
        values = array.to_pandas()
        text = pa.array([None if pd.isna(v) else v.isoformat() for v in values], pa.string())
    elif pa.types.is_null(array.type):
        text = pa.nulls(size, pa.string())
    else:
        try:
            text = array.cast(pa.string())
        except pa.ArrowException:
            text = pa.array([None if v is None else str(v) for v in array.to_pylist()])
    return pd.Series(pc.fill_null(text, ""), dtype="str")
