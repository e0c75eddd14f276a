"""How a value reads to a person, wherever graph360 prints for people (the CLI's tables and
cards, the views' pages): one place, so a time or an amount reads the same everywhere.

- **Times** are stored as UTC without a zone. They are shown on the display clock with its
  name: UTC unless ``--timezone`` (the CLI) or ``GRAPH360_TIMEZONE`` names another
  (``2026-03-02 09:15 UTC``, ``2026-03-02 10:15 CET``). A time at midnight UTC with no time
  part is a date and shows as one.
- **Money** (values, amounts) has two decimals and thousands separators, and the currency code
  in ``GRAPH360_CURRENCY`` when one is set (the sources' amounts carry no currency).
- **Scores** are not money: a probability such as the at-risk score reads as a percentage.
- **Counts on a drawn label** are short above 9,999 ("314k", "1.32M"); tables and tooltips
  keep every digit.

Machine outputs (JSON, CSV, GraphQL) keep ISO times in UTC and plain numbers.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from typing import Any

from graph360.errors import InvalidRequestError

_zone: dt.tzinfo = dt.UTC


def use_timezone(name: str | None) -> None:
    """Show times on the clock of ``name`` (an IANA zone; None or "UTC": UTC)."""
    global _zone
    _zone = dt.UTC if not name or name.upper() == "UTC" else zone(name)


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name`` names, or a one-line refusal (the same on every surface)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        shown = name if len(name) <= 60 else name[:60] + "…"
        raise InvalidRequestError(
            f"unknown time zone {shown!r} (an IANA name such as Europe/London)"
        ) from None


def when(value: dt.datetime) -> str:
    """A stored (naive UTC) time on the display clock, with the clock's name."""
    if value.tzinfo is None and value.time() == dt.time():
        return f"{value:%Y-%m-%d}"
    moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    local = moment.astimezone(_zone)
    return f"{local:%Y-%m-%d %H:%M} {'UTC' if _zone is dt.UTC else local.tzname()}"


def money(value: float | None) -> str:
    """An amount: two decimals, separators, the currency code when one is configured."""
    if value is None:
        return "—"
    code = os.environ.get("GRAPH360_CURRENCY", "").strip().upper()
    return f"{code} {value:,.2f}" if code else f"{value:,.2f}"


def share(value: float | None) -> str:
    """A probability or share (0 to 1) as a percentage."""
    return "—" if value is None else f"{value:.0%}"


def count(value: int) -> str:
    """A count short enough for a label drawn beside others: exact below 10,000, else three
    significant digits ("12.3k", "314k", "1.32M"); the exact figure goes in the tooltip."""
    if abs(value) < 10_000:
        return f"{value:,}"
    units = (("B", 1e9), ("M", 1e6), ("k", 1e3))
    unit, size = next((u, s) for u, s in units if abs(value) >= s * 0.9995)
    scaled = value / size
    digits = 0 if abs(scaled) >= 99.95 else 1 if abs(scaled) >= 9.995 else 2
    return f"{scaled:.{digits}f}{unit}"


def jsonable(value: Any) -> Any:
    """A value JSON cannot write, for machines (``json.dumps(default=jsonable)``): times and
    dates as ISO 8601, numpy scalars as Python numbers."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def text(value: Any) -> str:
    """Any value as a person reads it: times as :func:`when`, floats with two decimals and
    separators, integers with separators, lists joined, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return when(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    return str(value)
