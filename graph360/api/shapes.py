"""Turning the analytics' plain answers (dicts and lists) into the schema's typed objects.

The analytics functions return plain data; the schema declares its shape once as strawberry
types whose field names are the answers' keys. :func:`build` walks the declaration, so a new
key in an answer shows up in the API by adding one line to the type, and nothing else.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import types
import typing
from typing import Any, TypeVar

from graph360 import periods

T = TypeVar("T")


def utc(value: Any) -> Any:
    """The store keeps UTC without a zone; the API says so explicitly."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value


def build(cls: type[T], data: dict[str, Any]) -> T:
    """An instance of the strawberry type ``cls`` from ``data``'s keys (missing keys are null)."""
    return cls(**{key: _convert(hint, data.get(key)) for key, hint in _fields(cls)})


@functools.cache  # resolving the hints costs more than building the object
def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """(name, type hint) of each public field of the strawberry type ``cls``."""
    hints = typing.get_type_hints(cls)
    names = (f.python_name for f in cls.__strawberry_definition__.fields)  # type: ignore[attr-defined]
    return tuple((n, hints[n]) for n in names if not n.startswith("_") and n in hints)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_convert(item, v) for v in value]
    if hasattr(hint, "__strawberry_definition__"):
        return build(hint, value)
    if hint is dt.datetime:
        return utc(value)
    if hint is float:
        return float(value)
    if hint is int and not isinstance(value, bool):
        return int(value)
    return value


def stored(value: dt.datetime | None) -> dt.datetime | None:
    """A time as the store keeps it (graph360.periods.as_stored), or None: input's side of
    :func:`utc`."""
    return None if value is None else periods.as_stored(value)
