"""Engagement: when people actually engage, per channel (and department), hour x weekday.

Definitions (DESIGN.md §1, "When do people actually engage?"):

**Response** — a touchpoint that is the customer's own act: opening or clicking an e-mail,
reading an article, viewing a page or product, searching, logging in, adding to the basket,
checking out, buying, answering a survey, opening a support ticket, a social engagement, a
meeting held, and an outbound call the customer picked up (outcome ``connected`` or
``meeting_booked``). :data:`RESPONSE_KINDS` and :data:`RESPONSE_OUTCOMES` list them.

**Delivery** — an attempt the organisation makes to reach someone: ``email_sent`` and an
outbound ``call`` (:data:`DELIVERIES`). Neither a response nor a delivery: what staff or systems
do (``reply`` — in the support desk export that is the agent's first reply —, ``resolution``,
``delivery`` of an order, ``sales_email``), ``bounce`` (a failed delivery) and ``unsubscribe``.

**Response rate** (channels with deliveries): per cell of the hour-of-day (0-23) x weekday
(Mon-Sun) grid *of the delivery's time* — the thing a planner controls —
``responded deliveries / delivered deliveries``. An e-mail is delivered unless a ``bounce``
answers it; it has responded when an open or click answers it. A response or bounce answers
the latest send of the same campaign (or, without a campaign, of no campaign) to the same
customer on the same channel before it, within the attribution window (7 days by default),
so each send counts at most once, however often it was opened. A call is delivered by being
made and has responded when its own outcome is a response outcome. Sends are taken in
``[since, until)`` and the responses that answer them up to the window after ``until``.
Counting responses by the hour they happen over deliveries by the hour they were sent would
divide two different sets of people (opens at 07:00 from mails sent at 10:00 the day before)
and gives "rates" above 1 in some cells and none in others; the rate by send time answers
"if we send at Tuesday 08:00, what share responds?".

**Activity share** (every channel; the measure for channels without deliveries — social, web,
chat, store …): ``responses in the cell / all responses of the channel`` (of the department,
with ``--by department``), by the response's own time. For e-mail it shows when people open
(the demo's 07-09 peak); the response rate shows which send times work.

**Best windows**: the cells with the highest value among those with at least ``min_volume``
deliveries (rate) or responses (share), so a cell of three sends cannot win by luck; each
with its counts and a 95% Wilson interval.

**A/B comparison**: the response rates of two channels, or of two windows of one channel
(e.g. ``"Mon 07-09"`` against ``"Sat 19-22"``), by a two-sided two-proportion z-test (pooled
standard error; equal to Pearson's chi-square without continuity correction), with both rates,
the difference (A - B) and its 95% confidence interval (unpooled standard error).

**Time zone**: the touchpoint ``at`` is stored as naive UTC, so hours and weekdays are UTC
unless a ``timezone`` (an IANA name such as ``Europe/London``) is given; then each time is
converted to that zone's wall clock (summer time included). The period bounds are UTC.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from graph360 import display
from graph360 import facts as facts_
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.facts import engagement as from_facts
from graph360.store.base import GraphStore

__all__ = [
    "DELIVERIES",
    "RESPONSE_KINDS",
    "RESPONSE_OUTCOMES",
    "WEEKDAYS",
    "Comparison",
    "EngagementData",
    "EngagementError",
    "EngagementReport",
    "Heatmap",
    "Window",
    "best_windows",
    "compare_channels",
    "compare_windows",
    "engagement",
    "heatmaps",
    "load_engagement",
    "parse_window",
    "two_proportion_test",
]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_DEPARTMENT = "(none)"
ATTRIBUTION_DAYS = 7
MIN_VOLUME = 30
EARLIEST = dt.datetime(1900, 1, 1)
LATEST = dt.datetime(2200, 1, 1)
Z95 = float(stats.norm.ppf(0.975))

#: The customer's own acts.
RESPONSE_KINDS = frozenset(
    {
        "email_open",
        "email_click",
        "sms_click",
        "sms_reply",
        "push_open",
        "social_engagement",
        "page_view",
        "article_view",
        "product_view",
        "search",
        "login",
        "add_to_cart",
        "checkout",
        "purchase",
        "survey",
        "ticket",
        "meeting",
        "chat",
        # the same acts under other systems' names
        "open",
        "click",
        "session",
        "mention",
        "nps",
        "csat",
        "checkout_abandoned",
    }
)
#: Outcomes that make a delivery answered by itself (a call picked up).
RESPONSE_OUTCOMES = frozenset({"connected", "meeting_booked", "answered"})


@dataclass(frozen=True)
class Delivery:
    """How a delivery kind is answered: by later touchpoints (``responses``, attributed to the
    send) or by its own outcome (``by_outcome``); ``failures`` undo the delivery."""

    responses: frozenset[str] = frozenset()
    failures: frozenset[str] = frozenset()
    by_outcome: bool = False


DELIVERIES: dict[str, Delivery] = {
    "email_sent": Delivery(
        frozenset({"email_open", "email_click", "open", "click"}), frozenset({"bounce"})
    ),
    "sms_sent": Delivery(frozenset({"sms_click", "sms_reply"}), frozenset({"sms_failed"})),
    "push_sent": Delivery(frozenset({"push_open"})),
    "call": Delivery(by_outcome=True),
}
_FAILURES = frozenset().union(*(d.failures for d in DELIVERIES.values()))
_ANSWERS = frozenset().union(*(d.responses for d in DELIVERIES.values()))

Measure = Literal["auto", "rate", "activity"]


class EngagementError(InvalidRequestError):
    """An engagement question that cannot be answered as asked (a malformed window, a
    comparison of channels that send nothing, an unknown time zone)."""


# --- loading -----------------------------------------------------------------------------------


@dataclass
class EngagementData:
    """The per-touchpoint facts, binned: one frame of deliveries, one of responses.

    ``deliveries``: channel, department, weekday, hour, responded (bool) — delivered ones only.
    ``responses``: channel, department, weekday, hour — in the period.
    """

    deliveries: pd.DataFrame
    responses: pd.DataFrame
    since: dt.datetime | None
    until: dt.datetime | None
    timezone: str | None
    attribution_days: float
    channels: list[str]
    sent: dict[str, int] = field(default_factory=dict)
    #: the facts projection's version the rows come from (None: direct Cypher)
    as_of: dict[str, Any] | None = None

    def delivery_channels(self) -> list[str]:
        return sorted(str(c) for c in pd.unique(self.deliveries["channel"].dropna()))


def load_engagement(
    store: GraphStore,
    *,
    channels: Iterable[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    timezone: str | None = None,
    attribution_days: float = ATTRIBUTION_DAYS,
    by_department: bool = False,
    use_facts: bool = True,
) -> EngagementData:
    """Read the touchpoints the measures need (two projection queries) and bin them.

    A touchpoint's department is the one handling it, else the one running its campaign; for
    sends and what answers them (opens, clicks, bounces), the one running the campaign. The
    handling departments are read only when ``by_department`` (two more joins per row);
    otherwise those touchpoints fall under ``(none)``.

    From the facts projection (:mod:`graph360.facts.engagement`), or with ``use_facts`` false
    from the named queries' multi-hop Cypher; both give the same rows.
    """
    zone = _zone(timezone)
    lo, hi = since or EARLIEST, until or LATEST
    projection = facts_.current(store) if use_facts else None
    if projection is not None:
        all_channels = from_facts.channels(projection, EARLIEST, LATEST)
    else:
        known = store.query("engagement_kinds", since=EARLIEST, until=LATEST)
        all_channels = sorted({r["channel"] for r in known})
    chosen = sorted(set(channels)) if channels else all_channels
    unknown = [c for c in chosen if c not in all_channels]
    if unknown:
        raise NotFoundError(
            f"no touchpoints on channel {', '.join(unknown)} "
            f"(channels: {', '.join(all_channels) or 'none'})"
        )
    window = pd.Timedelta(days=attribution_days)
    reach_until = min(pd.Timestamp(hi) + window, pd.Timestamp(LATEST)).to_pydatetime()
    # Two projections: the cheap one (time, channel, kind, outcome) for what needs no
    # attribution; who and which campaign only for the sends and what answers them.
    by_outcome = sorted(k for k, d in DELIVERIES.items() if d.by_outcome)
    attributed = sorted(k for k, d in DELIVERIES.items() if not d.by_outcome)
    light_kinds = sorted((RESPONSE_KINDS - _ANSWERS) | set(by_outcome))
    send_kinds = sorted(set(attributed) | _ANSWERS | _FAILURES)
    if projection is not None:
        light, sends = from_facts.frames(
            projection,
            channels=chosen,
            light_kinds=light_kinds,
            send_kinds=send_kinds,
            since=lo,
            until=hi,
            reach_until=reach_until,
            by_department=by_department,
            no_department=NO_DEPARTMENT,
        )
        for frame in (light, sends):
            frame["weekday"], frame["hour"] = _clock(frame["at"], zone)
    else:
        light = store.frame(
            "engagement_touchpoints_by_department" if by_department else "engagement_touchpoints",
            channels=chosen,
            kinds=light_kinds,
            since=lo,
            until=hi,
        )
        sends = store.frame(
            "engagement_sends", channels=chosen, kinds=send_kinds, since=lo, until=reach_until
        )
        if not sends.empty:  # a send, open, click or bounce belongs to its campaign's department
            runs = {
                r["campaign_id"]: r["department_id"] for r in store.query("engagement_campaigns")
            }
            sends["department_id"] = sends["campaign_id"].astype(object).map(runs)
        light, sends = _prepare(light, zone), _prepare(sends, zone)
    called = _isin(light["kind"], by_outcome)
    picked_up = called & _isin(light["outcome"], RESPONSE_OUTCOMES)
    columns = ["channel", "department", "weekday", "hour"]
    calls = light.loc[called, columns].assign(responded=picked_up[called])

    in_period = ((sends["at"] >= pd.Timestamp(lo)) & (sends["at"] < pd.Timestamp(hi))).to_numpy()
    answers = _isin(sends["kind"], RESPONSE_KINDS) & in_period
    responses = pd.concat(
        [light.loc[_isin(light["kind"], RESPONSE_KINDS) | picked_up, columns],
         sends.loc[answers, columns]],
        ignore_index=True,
    )  # fmt: skip
    mailed = sends.loc[_isin(sends["kind"], attributed) & in_period]
    answered, failed = _attribute(sends, mailed, window)
    mailed = mailed.assign(responded=mailed.index.isin(answered), failed=mailed.index.isin(failed))
    sent = pd.concat([mailed["channel"], calls["channel"]]).value_counts().to_dict()
    deliveries = pd.concat(
        [mailed.loc[~mailed["failed"], [*columns, "responded"]], calls], ignore_index=True
    )
    return EngagementData(
        deliveries=deliveries,
        responses=responses,
        since=since,
        until=until,
        timezone=timezone,
        attribution_days=attribution_days,
        channels=chosen,
        sent={str(k): int(v) for k, v in sent.items() if v},
        as_of=None if projection is None else projection.as_of,
    )


def _prepare(frame: pd.DataFrame, zone: zoneinfo.ZoneInfo | None) -> pd.DataFrame:
    """Times as datetime64, the department (or ``(none)``), weekday and hour."""
    if frame.empty:
        frame = pd.DataFrame(columns=["at", "channel", "kind"])
    frame = frame.copy()
    frame["at"] = pd.to_datetime(frame["at"]).astype("datetime64[us]")
    for column in ("outcome", "campaign_id", "department_id", "customer_id"):
        if column not in frame:
            frame[column] = None
    department = frame["department_id"].astype(object)
    frame["department"] = department.where(department.notna(), NO_DEPARTMENT)
    frame["weekday"], frame["hour"] = _clock(frame["at"], zone)
    return frame


def _isin(values: pd.Series, members: Iterable[str]) -> np.ndarray:
    """``values IN members`` row by row, a null never in: by the categories when
    categorical (the facts' rows), so no string is made per row."""
    wanted = list(members)
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = np.append(values.cat.categories.isin(wanted), False)  # code -1: null
        return lookup[values.cat.codes.to_numpy()]
    return values.astype(object).isin(wanted).to_numpy()


def _key(values: pd.Series) -> pd.Series:
    """A column to match on: integer codes as they are (categories by code), ids as objects
    (null as ``""``, so "no campaign" matches "no campaign")."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.astype(np.int64)
    if pd.api.types.is_integer_dtype(values.dtype):
        return values
    return values.astype(object).fillna("")


def _attribute(
    frame: pd.DataFrame, sends: pd.DataFrame, window: pd.Timedelta
) -> tuple[pd.Index, pd.Index]:
    """The sends answered by a response, and the sends answered by a failure (bounce).

    Each response (failure) answers the latest earlier send to the same customer on the same
    channel for the same campaign (or for none), within ``window``.
    """
    answer = _isin(frame["kind"], _ANSWERS)
    failure = _isin(frame["kind"], _FAILURES)
    replying = answer | failure
    if not replying.any() or sends.empty:
        return pd.Index([]), pd.Index([])
    keys = ["customer_id", "channel", "campaign_id"]
    replies = pd.DataFrame(
        {"at": frame["at"].to_numpy()[replying], "response": answer[replying]}
        | {k: _key(frame[k]).to_numpy()[replying] for k in keys}
    )
    left = pd.DataFrame(
        {"at": sends["at"].to_numpy(), "send": sends.index.to_numpy()}
        | {k: _key(sends[k]).to_numpy() for k in keys}
    )
    matched = pd.merge_asof(
        replies.sort_values("at", kind="stable"),
        left.sort_values("at", kind="stable"),
        on="at",
        by=keys,
        direction="backward",
        tolerance=window,
    ).dropna(subset=["send"])
    send = matched["send"].astype(np.int64)
    return (
        pd.Index(send[matched["response"]].unique()),
        pd.Index(send[~matched["response"]].unique()),
    )


def _zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name:
        return None
    try:
        return display.zone(name)
    except InvalidRequestError as error:
        raise EngagementError(str(error)) from None


def _clock(at: pd.Series, zone: zoneinfo.ZoneInfo | None) -> tuple[np.ndarray, np.ndarray]:
    """Weekday (Mon = 0) and hour of each naive-UTC time, on ``zone``'s wall clock."""
    if zone is None:
        seconds = at.to_numpy(dtype="datetime64[s]").astype(np.int64)
        days = np.floor_divide(seconds, 86400)
        return ((days + 3) % 7).astype(np.int8), (seconds // 3600 % 24).astype(np.int8)
    local = at.dt.tz_localize("UTC").dt.tz_convert(zone)
    return local.dt.day_of_week.to_numpy(np.int8), local.dt.hour.to_numpy(np.int8)


# --- heatmaps ----------------------------------------------------------------------------------


@dataclass
class Heatmap:
    """One weekday (rows, Mon..Sun) x hour (columns, 0..23) grid of a channel (and department).

    ``count``: responded deliveries (rate) or responses (share) per cell; ``base``: delivered
    deliveries per cell (rate) or all the channel's responses (share, the same in every cell).
    """

    channel: str
    department: str | None
    measure: Literal["response_rate", "activity_share"]
    count: np.ndarray
    base: np.ndarray

    @property
    def value(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.base > 0, self.count / np.maximum(self.base, 1), np.nan)

    @property
    def total(self) -> int:
        return int(self.base.sum()) if self.measure == "response_rate" else int(self.count.sum())

    @property
    def label(self) -> str:
        return self.channel + (f" / {self.department}" if self.department else "")

    def rows(self) -> list[dict[str, Any]]:
        """One row per cell: channel, department, measure, weekday, hour, count, base, value."""
        value = self.value
        return [
            {
                "channel": self.channel,
                "department": self.department,
                "measure": self.measure,
                "weekday": WEEKDAYS[d],
                "hour": h,
                "count": int(self.count[d, h]),
                "base": int(self.base[d, h]),
                "value": None if np.isnan(value[d, h]) else float(value[d, h]),
            }
            for d in range(7)
            for h in range(24)
        ]

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        return {
            "channel": self.channel,
            "department": self.department,
            "measure": self.measure,
            "weekdays": list(WEEKDAYS),
            "count": self.count.tolist(),
            "base": self.base.tolist(),
            "value": [[None if np.isnan(v) else float(v) for v in row] for row in value],
        }


def heatmaps(
    data: EngagementData, *, by: Literal["department"] | None = None, measure: Measure = "auto"
) -> list[Heatmap]:
    """The grids: per channel (per department too with ``by="department"``).

    ``measure``: ``auto`` — response rate where the channel has deliveries in the period,
    activity share elsewhere; ``rate`` — response rate, channels with deliveries only;
    ``activity`` — activity share everywhere.
    """
    sending = set(data.delivery_channels())
    maps: list[Heatmap] = []
    for channel in data.channels:
        rate = channel in sending and measure != "activity"
        if measure == "rate" and not rate:
            continue
        if rate:
            rows = data.deliveries[data.deliveries["channel"] == channel]
            groups = [(None, rows)] if by is None else _by_department(rows)
            for department, part in groups:
                base = _grid(part)
                count = _grid(part[part["responded"]])
                maps.append(Heatmap(channel, department, "response_rate", count, base))
        else:
            rows = data.responses[data.responses["channel"] == channel]
            if rows.empty:
                continue
            groups = [(None, rows)] if by is None else _by_department(rows)
            for department, part in groups:
                count = _grid(part)
                base = np.full((7, 24), int(count.sum()), dtype=np.int64)
                maps.append(Heatmap(channel, department, "activity_share", count, base))
    if measure == "rate" and not maps:
        raise EngagementError(
            "no channel with deliveries in the period: response rates need sends "
            f"({', '.join(DELIVERIES)}); use the activity share"
        )
    return maps


def _by_department(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(str(d), part) for d, part in rows.groupby("department", sort=True, observed=True)]


def _grid(rows: pd.DataFrame) -> np.ndarray:
    cell = rows["weekday"].to_numpy(np.int64) * 24 + rows["hour"].to_numpy(np.int64)
    return np.bincount(cell, minlength=7 * 24).reshape(7, 24).astype(np.int64)


def best_windows(
    maps: list[Heatmap], *, top: int = 3, min_volume: int = MIN_VOLUME
) -> list[dict[str, Any]]:
    """The ``top`` cells of each grid by value, among cells with at least ``min_volume``
    deliveries (rate) or responses (share); ties go to the larger count."""
    best: list[dict[str, Any]] = []
    for grid in maps:
        volume = grid.base if grid.measure == "response_rate" else grid.count
        value = grid.value
        cells = [(d, h) for d in range(7) for h in range(24) if volume[d, h] >= min_volume]
        cells.sort(key=lambda c: (-value[c], -int(grid.count[c]), c))
        for d, h in cells[:top]:
            x, n = int(grid.count[d, h]), int(grid.base[d, h])
            low, high = wilson(x, n)
            best.append(
                {
                    "channel": grid.channel,
                    "department": grid.department,
                    "measure": grid.measure,
                    "weekday": WEEKDAYS[d],
                    "hours": f"{h:02d}-{h + 1:02d}",
                    "value": float(value[d, h]),
                    "count": x,
                    "base": n,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return best


def wilson(x: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of ``x`` successes in ``n``."""
    if n == 0:
        return (math.nan, math.nan)
    p = x / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


# --- A/B ---------------------------------------------------------------------------------------


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


# --- the whole answer --------------------------------------------------------------------------


@dataclass
class EngagementReport:
    since: dt.datetime | None
    until: dt.datetime | None
    timezone: str | None
    attribution_days: float
    min_volume: int
    channels: list[dict[str, Any]]
    heatmaps: list[Heatmap]
    best: list[dict[str, Any]]
    comparison: Comparison | None = None
    #: the facts projection's version it was answered from (None: direct Cypher)
    as_of: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "since": self.since,
            "until": self.until,
            "timezone": self.timezone or "UTC",
            "attribution_days": self.attribution_days,
            "min_volume": self.min_volume,
            "channels": self.channels,
            "heatmaps": [h.to_dict() for h in self.heatmaps],
            "best": self.best,
            "comparison": self.comparison.to_dict() if self.comparison else None,
        }

    def rows(self) -> list[dict[str, Any]]:
        """Every cell of every grid, long form (the CSV answer)."""
        return [row for grid in self.heatmaps for row in grid.rows()]


def engagement(
    store: GraphStore,
    *,
    channels: Iterable[str] | None = None,
    by: Literal["department"] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    timezone: str | None = None,
    measure: Measure = "auto",
    min_volume: int = MIN_VOLUME,
    top: int = 3,
    ab_channels: tuple[str, str] | None = None,
    ab_windows: tuple[str, str] | None = None,
    attribution_days: float = ATTRIBUTION_DAYS,
    use_facts: bool = True,
) -> EngagementReport:
    """Everything ``graph360 engagement`` shows, from one read of the store.

    ``ab_channels`` compares the response rates of two channels; ``ab_windows`` compares two
    send windows of the one channel with deliveries among ``channels`` (or among all).
    ``use_facts`` false reads with multi-hop Cypher instead of the facts projection.
    """
    for window in ab_windows or ():
        parse_window(window)  # a malformed window is refused before anything is read
    wanted = list(channels) if channels else None
    if ab_channels:
        wanted = sorted(set(wanted or []) | set(ab_channels))
    data = load_engagement(
        store,
        channels=wanted,
        since=since,
        until=until,
        timezone=timezone,
        attribution_days=attribution_days,
        by_department=by == "department",
        use_facts=use_facts,
    )
    comparison = None
    if ab_channels:
        comparison = compare_channels(data, *ab_channels)
    elif ab_windows:
        comparison = compare_windows(data, _window_channel(data, channels), *ab_windows)
    maps = heatmaps(data, by=by, measure=measure)
    return EngagementReport(
        since=since,
        until=until,
        timezone=timezone,
        attribution_days=attribution_days,
        min_volume=min_volume,
        channels=_channel_summary(data),
        heatmaps=maps,
        best=best_windows(maps, top=top, min_volume=min_volume),
        comparison=comparison,
        as_of=data.as_of,
    )


def _window_channel(data: EngagementData, channels: Iterable[str] | None) -> str:
    """The one channel with deliveries among those asked for (or among all)."""
    sending = data.delivery_channels()
    candidates = [c for c in sorted(set(channels or sending)) if c in sending]
    if len(candidates) == 1:
        return candidates[0]
    raise EngagementError(
        "comparing windows needs one channel with deliveries: give --channel "
        f"({' or '.join(candidates or sending) or 'none sends in the period'})"
    )


def _channel_summary(data: EngagementData) -> list[dict[str, Any]]:
    rows = []
    for channel in data.channels:
        sent = data.deliveries[data.deliveries["channel"] == channel]
        responses = int((data.responses["channel"] == channel).sum())
        delivered = len(sent)
        responded = int(sent["responded"].sum()) if delivered else 0
        rows.append(
            {
                "channel": channel,
                "sent": data.sent.get(channel, 0),
                "delivered": delivered,
                "responded": responded,
                "response_rate": responded / delivered if delivered else None,
                "responses": responses,
            }
        )
    return rows
