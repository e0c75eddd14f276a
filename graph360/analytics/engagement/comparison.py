"""A/B comparisons of response rates: two channels, or two send windows of one."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from scipy import stats

from graph360.analytics.engagement.data import WEEKDAYS, Z95, EngagementData, EngagementError


@dataclass(frozen=True)
class Comparison:
    """Two response rates, their difference (A - B) with a 95% interval, and the z-test."""

    a: str
    b: str
    responded_a: int
    delivered_a: int
    responded_b: int
    delivered_b: int
    rate_a: float
    rate_b: float
    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    test: str = "two-sided two-proportion z-test (pooled SE); 95% CI with unpooled SE"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> dict[str, float]:
    """Two-sided two-proportion z-test of ``x1/n1`` against ``x2/n2``.

    ``z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))`` with the pooled ``p = (x1 + x2) /
    (n1 + n2)``; ``p_value = 2 (1 - Φ(|z|))``; the difference's 95% interval uses the
    unpooled ``sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2)``.

    >>> r = two_proportion_test(45, 100, 30, 100)
    >>> round(r["z"], 4), round(r["p_value"], 4)
    (2.1909, 0.0285)
    """
    if n1 <= 0 or n2 <= 0:
        raise EngagementError("a comparison needs deliveries on both sides")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    difference = p1 - p2
    z = difference / se if se > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z))) if se > 0 else 1.0
    half = Z95 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return {
        "rate_a": p1,
        "rate_b": p2,
        "difference": difference,
        "ci_low": difference - half,
        "ci_high": difference + half,
        "z": z,
        "p_value": p_value,
    }


def _comparison(a: str, b: str, xa: int, na: int, xb: int, nb: int) -> Comparison:
    result = two_proportion_test(xa, na, xb, nb)
    return Comparison(a, b, xa, na, xb, nb, **result)


def compare_channels(data: EngagementData, a: str, b: str) -> Comparison:
    """The response rate of every delivery on channel ``a`` against channel ``b``."""
    sending = data.delivery_channels()
    for channel in (a, b):
        if channel not in sending:
            raise EngagementError(
                f"channel {channel!r} has no deliveries in the period, so no response rate "
                f"(channels with deliveries: {', '.join(sending) or 'none'})"
            )
    rows = data.deliveries
    side_a, side_b = rows[rows["channel"] == a], rows[rows["channel"] == b]
    return _comparison(
        a,
        b,
        int(side_a["responded"].sum()),
        len(side_a),
        int(side_b["responded"].sum()),
        len(side_b),
    )


@dataclass(frozen=True)
class Window:
    """Weekdays (Mon = 0) and hours of a time window, e.g. ``Mon-Fri 07-09``."""

    text: str
    days: frozenset[int]
    hours: frozenset[int]

    def contains(self, weekday: pd.Series, hour: pd.Series) -> pd.Series:
        return weekday.isin(self.days) & hour.isin(self.hours)


_DAY = {d.lower(): i for i, d in enumerate(WEEKDAYS)}
_DAY_GROUPS = {"weekdays": range(5), "weekend": range(5, 7), "daily": range(7), "any": range(7)}


def parse_window(text: str) -> Window:
    """``[DAYS] [HOURS]``: days ``Mon``, ``Mon-Fri``, ``Sat,Sun``, ``weekdays``, ``weekend``
    (default every day); hours ``07-09`` (07:00 to 09:00, so 7 and 8), ``19`` (one hour),
    ``22-02`` (across midnight), minutes ``:00`` allowed (default all day).

    >>> w = parse_window("Mon-Fri 07-09")
    >>> sorted(w.days), sorted(w.hours)
    ([0, 1, 2, 3, 4], [7, 8])
    >>> sorted(parse_window("Sat,Sun 22-01").hours)
    [0, 22, 23]
    """
    parts = text.strip().split()
    if not parts or len(parts) > 2:
        raise EngagementError(f"window {text!r}: give days and/or hours, e.g. 'Mon 07-09'")
    days: set[int] | None = None
    hours: set[int] | None = None
    for part in parts:
        if part[0].isdigit():
            if hours is not None:
                raise EngagementError(f"window {text!r}: hours given twice")
            hours = _hours(part, text)
        else:
            if days is not None:
                raise EngagementError(f"window {text!r}: days given twice")
            days = _days(part, text)
    return Window(
        text.strip(),
        frozenset(range(7) if days is None else days),
        frozenset(range(24) if hours is None else hours),
    )


def _days(part: str, text: str) -> set[int]:
    days: set[int] = set()
    for item in part.lower().split(","):
        if item in _DAY_GROUPS:
            days.update(_DAY_GROUPS[item])
            continue
        ends = item.split("-")
        if len(ends) > 2 or any(e[:3] not in _DAY for e in ends):
            raise EngagementError(f"window {text!r}: unknown day {item!r} (Mon..Sun)")
        first, last = _DAY[ends[0][:3]], _DAY[ends[-1][:3]]
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return days


def _hours(part: str, text: str) -> set[int]:
    match = re.fullmatch(r"(\d{1,2})(?::00)?(?:-(\d{1,2})(?::00)?)?", part)
    if not match:
        raise EngagementError(f"window {text!r}: hours as HH-HH, e.g. 07-09")
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) is not None else start + 1
    if start > 23 or end > 24 or start == end % 24:
        raise EngagementError(f"window {text!r}: hours run 00-24 and a window is not empty")
    span = (end - start) % 24
    return {(start + i) % 24 for i in range(span)}


def compare_windows(data: EngagementData, channel: str, a: str, b: str) -> Comparison:
    """The response rate of deliveries on ``channel`` sent in window ``a`` against ``b``."""
    first, second = parse_window(a), parse_window(b)
    overlap = (first.days & second.days) and (first.hours & second.hours)
    if overlap:
        raise EngagementError(
            f"windows {a!r} and {b!r} overlap: a delivery would count on both sides"
        )
    sending = data.delivery_channels()
    if channel not in sending:
        raise EngagementError(
            f"channel {channel!r} has no deliveries in the period, so no response rate "
            f"(channels with deliveries: {', '.join(sending) or 'none'})"
        )
    rows = data.deliveries[data.deliveries["channel"] == channel]
    in_a = first.contains(rows["weekday"], rows["hour"])
    in_b = second.contains(rows["weekday"], rows["hour"])
    return _comparison(
        f"{channel} {first.text}",
        f"{channel} {second.text}",
        int(rows.loc[in_a, "responded"].sum()),
        int(in_a.sum()),
        int(rows.loc[in_b, "responded"].sum()),
        int(in_b.sum()),
    )
