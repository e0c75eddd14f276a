"""What engagement counts (responses, deliveries) and the touchpoints it reads, binned."""

from __future__ import annotations

import datetime as dt
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
