"""One way to say a period and a window, on every surface (CLI, GraphQL, views).

A period is half-open, ``[since, until)``, and each bound is written as people write them:

- a **date** (``2026-01-31``): ``since`` starts at that day's first moment; ``until`` *includes*
  that whole day (the period ends at the next midnight). ``--since 2026-01-01 --until
  2026-01-31`` is January, every day of it.
- a **time** (``2026-01-31T12:00``, with or without an offset): exactly that moment; ``until``
  excludes it. An offset is converted to UTC, the clock the store keeps.

Either bound may be left out (from the start / to the end). The store keeps times as UTC without
a zone, so a :class:`Period` holds naive UTC datetimes. A collision window is a number of hours
above 0 and at most a year. Anything else is an :class:`InvalidRequestError` with a one-line
reason, the same on every surface.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from graph360.errors import InvalidRequestError

#: The widest window a collision check takes (a year, in hours).
MAX_WINDOW_HOURS = 24 * 366

Bound = str | dt.date | dt.datetime | None


@dataclass(frozen=True)
class Period:
    """``[since, until)`` in naive UTC; None for an open end."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def __str__(self) -> str:
        if self.since is None and self.until is None:
            return "everything"
        start = f"from {_shown(self.since)}" if self.since else "from the start"
        if self.until is None:
            return f"{start} on"
        if self.until.time() == dt.time():
            return f"{start} to {_shown(self.until - dt.timedelta(days=1))} (inclusive)"
        return f"{start} to before {_shown(self.until)}"


def utc_now() -> dt.datetime:
    """Now, as the store keeps times: UTC without a zone."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def parse_period(since: Bound = None, until: Bound = None) -> Period:
    """The period ``since``/``until`` name, by the rule above (text, dates or datetimes)."""
    start, end = _bound(since, "since", end=False), _bound(until, "until", end=True)
    if start is not None and end is not None and start >= end:
        raise InvalidRequestError(f"the period is empty: since {since} is not before until {until}")
    return Period(start, end)


def parse_window(hours: float | int | str) -> float:
    """A collision window in hours, checked: above 0, at most a year."""
    try:
        value = float(hours)
    except (TypeError, ValueError):
        raise InvalidRequestError(f"the window must be a number of hours, not {hours!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_WINDOW_HOURS:
        raise InvalidRequestError(
            f"the window must be above 0 and at most {MAX_WINDOW_HOURS} hours (a year), not {hours}"
        )
    return value


def parse_bound(text: str) -> dt.date | dt.datetime:
    """A bound as typed: ``2026-01-31`` is a date, ``2026-01-31T10:00`` (or with a space, an
    offset or ``Z``) a time."""
    text = text.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise InvalidRequestError(
            f"{shown!r} is not a date (2026-01-31) or a time (2026-01-31T10:00)"
        ) from None


def as_stored(moment: dt.datetime) -> dt.datetime:
    """``moment`` as the store keeps times: UTC without a zone (a naive time is taken as UTC
    already); one past the last representable time is refused in one line."""
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is after the last time there is
        raise InvalidRequestError(
            f"the time {moment.isoformat()} is out of range once in UTC (years 1 to 9999)"
        ) from None


def _bound(value: Bound, name: str, *, end: bool) -> dt.datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        value = parse_bound(value)
    if isinstance(value, dt.datetime):
        return as_stored(value)
    try:
        day = dt.datetime(value.year, value.month, value.day)
        return day + dt.timedelta(days=1) if end else day
    except OverflowError:
        raise InvalidRequestError(f"{name} {value} is out of range (years 1 to 9999)") from None


def _shown(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d}" if moment.time() == dt.time() else f"{moment:%Y-%m-%d %H:%M}"
