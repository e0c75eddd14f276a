"""The engagement analytic's projections, answered from the facts instead of multi-hop Cypher.

:func:`channels` gives what ``engagement_kinds`` tells about the channels; :func:`frames` the
rows of ``engagement_touchpoints`` (or ``_by_department``) and ``engagement_sends`` with the
campaign's department mapped on (``engagement_campaigns``), already prepared as
:mod:`graph360.analytics.engagement` prepares the Cypher rows: times as datetime64[us],
``department`` (``(none)`` when there is none), and the strings as categoricals over one
dictionary per column, so the shared code compares codes, never ten million strings. Who a
send went to and its campaign stay integer codes (-1: no campaign): the attribution matches
on them as it would on the ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import pandas as pd

from graph360.facts.tables import NO_TIME, Facts, micros


def _member(facts: Facts, column: str, values: Collection[str]) -> np.ndarray:
    """``t.<column> IN values`` for every touchpoint (a null is never in)."""
    codes, dictionary = facts.codes("touchpoints", column)
    lookup = np.array([v in values for v in dictionary] + [False], dtype=bool)
    return lookup[codes]


def _by_touchpoint(facts: Facts, table: str, end: str) -> np.ndarray:
    """For each touchpoint code, the code at the other ``end`` of pair table ``table`` (-1:
    none). A touchpoint has at most one customer, department and campaign (the loader's
    columns); should one have several, the last read wins."""
    n = facts.size("touchpoints")
    other = "target" if end == "source" else "source"
    out = np.full(n, -1, dtype=np.int64)
    out[facts.column(table, end)] = facts.column(table, other)
    return out


def channels(facts: Facts, since: dt.datetime, until: dt.datetime) -> list[str]:
    """The channels of the touchpoints in ``[since, until)`` (``engagement_kinds``' channels)."""
    at = facts.column("touchpoints", "at")
    inside = (at != NO_TIME) & (at >= micros(since)) & (at < micros(until))
    codes, dictionary = facts.codes("touchpoints", "channel")
    present = np.unique(codes[inside & (codes >= 0)])
    return sorted(dictionary[c] for c in present)


def _categorical(codes: np.ndarray, dictionary: list[str]) -> pd.Categorical:
    """Codes into ``dictionary`` (-1: null) as a categorical whose categories sort as strings."""
    order = np.argsort(np.array(dictionary, dtype=object)) if dictionary else np.zeros(0, int)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    mapped = np.where(codes >= 0, rank[np.maximum(codes, 0)] if len(rank) else -1, -1)
    return pd.Categorical.from_codes(mapped, categories=[dictionary[i] for i in order])


def frames(
    facts: Facts,
    *,
    channels: Collection[str],
    light_kinds: Collection[str],
    send_kinds: Collection[str],
    since: dt.datetime,
    until: dt.datetime,
    reach_until: dt.datetime,
    by_department: bool,
    no_department: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(light, sends): the touchpoints of ``channels`` of ``light_kinds`` in ``[since,
    until)`` and of ``send_kinds`` in ``[since, reach_until)`` (the latter only those a
    customer had), as the engagement analytic prepares the Cypher rows (module docstring)."""
    at = facts.column("touchpoints", "at")
    timed = at != NO_TIME
    on_channel = _member(facts, "channel", set(channels))
    start = micros(since)
    light_rows = np.flatnonzero(
        on_channel
        & _member(facts, "kind", set(light_kinds))
        & timed
        & (at >= start)
        & (at < micros(until))
    )
    customer = _by_touchpoint(facts, "had", "target")
    send_rows = np.flatnonzero(
        on_channel
        & _member(facts, "kind", set(send_kinds))
        & timed
        & (at >= start)
        & (at < micros(reach_until))
        & (customer >= 0)
    )
    campaign = _by_touchpoint(facts, "from_campaign", "source")
    runs = np.full(facts.size("campaigns") + 1, -1, dtype=np.int64)  # the last: no campaign
    runs[facts.column("run_by", "source")] = facts.column("run_by", "target")
    campaign_department = runs[campaign]  # campaign -1 reads the last entry: -1
    departments = list(facts.keys("departments"))
    dictionary = sorted({*departments, no_department})
    position = np.array(
        [dictionary.index(d) for d in departments] + [dictionary.index(no_department)]
    )

    def department(codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(position[codes], categories=dictionary)

    columns = {name: facts.codes("touchpoints", name) for name in ("channel", "kind", "outcome")}

    def frame(rows: np.ndarray) -> pd.DataFrame:
        data: dict[str, object] = {"at": at[rows].astype("datetime64[us]")}
        for name, (codes, values) in columns.items():
            data[name] = _categorical(codes[rows], values)
        return pd.DataFrame(data)

    light = frame(light_rows)
    if by_department:
        handled = _by_touchpoint(facts, "handled_by", "source")[light_rows]
        light["department"] = department(
            np.where(handled >= 0, handled, campaign_department[light_rows])
        )
    else:
        light["department"] = department(np.full(len(light_rows), -1))
    sends = frame(send_rows)
    sends["customer_id"] = customer[send_rows]
    sends["campaign_id"] = campaign[send_rows]
    sends["department"] = department(campaign_department[send_rows])
    return light, sends
