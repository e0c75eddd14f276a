"""The ownership audit's projections, answered from the facts instead of multi-hop Cypher.

Each function gives what its ``ownership_*`` named query gives (the same rows), grouped with
pandas on the facts' codes; ids and names are looked up only for the groups.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from graph360 import arrays
from graph360.facts.tables import NO_TIME, Facts, micros
from graph360.store.base import GraphStore


def _times(values: np.ndarray) -> pd.Series:
    """Microsecond codes as datetimes (NO_TIME: NaT), kept in microseconds: a touchpoint in the
    year 1178 is a valid time, outside nanoseconds' 1677-2262."""
    stamps = values.astype("datetime64[us]")
    stamps[values == NO_TIME] = np.datetime64("NaT")
    return pd.Series(stamps)


def _step_rows(facts: Facts) -> tuple[np.ndarray, np.ndarray]:
    return facts.column("at_step", "source"), facts.column("at_step", "target")


def step_traffic(facts: Facts, since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    """``ownership_step_traffic``: per step and channel, touchpoints, first and last time, value
    and value in the window."""
    tp, step = _step_rows(facts)
    at = facts.column("touchpoints", "at")[tp]
    value = np.nan_to_num(facts.column("touchpoints", "value")[tp], nan=0.0)
    inside = (at != NO_TIME) & (at >= micros(since)) & (at < micros(until))
    channels, channel_names = facts.codes("touchpoints", "channel")
    groups = _Groups(
        (step, facts.keys("steps")), (channels[tp], np.asarray(channel_names, dtype=object))
    )
    (step_id, channel), n = groups.labels(), groups.count()
    return pd.DataFrame(
        {
            "step_id": step_id,
            "channel": channel,
            "touchpoints": n,
            "first_at": groups.first(at),
            "last_at": groups.last(at),
            "value": groups.sum(value),
            "window_value": groups.sum(np.where(inside, value, 0.0)),
        }
    )


class _Groups:
    """Rows grouped by two coded columns, in the order pandas' sorted ``groupby(dropna=False)``
    gives (by the first column's labels, then the second's, a null last), worked out on the
    integer codes: no string is made per row, only one per group."""

    def __init__(self, *by: tuple[np.ndarray, np.ndarray]) -> None:
        key = np.zeros(len(by[0][0]), dtype=np.int64)
        self._by = []
        for codes, labels in by:
            # rank of each label in string order; a null (-1) after every label
            order = np.argsort(labels.astype(str), kind="stable") if len(labels) else labels
            rank = np.empty(len(labels) + 1, dtype=np.int64)
            rank[np.asarray(order, dtype=np.int64)] = np.arange(len(labels))
            rank[len(labels)] = len(labels)
            size = len(labels) + 1
            key = key * size + rank[np.where(codes < 0, len(labels), codes)]
            self._by.append((labels, np.asarray(order, dtype=np.int64), size))
        sizes = [size for _, _, size in self._by]
        self._keys, self._inverse = arrays.dense_unique(key, int(np.prod(sizes, dtype=np.int64)))
        self._order = np.argsort(self._inverse, kind="stable")
        ordered = self._inverse[self._order]
        self._starts = (
            np.flatnonzero(np.r_[True, np.diff(ordered) != 0]) if len(ordered) else ordered
        )

    def labels(self) -> list[np.ndarray]:
        out, keys = [], self._keys.copy()
        for labels, order, size in reversed(self._by):
            rank = keys % size
            keys //= size
            named = np.full(len(rank), None, dtype=object)
            known = rank < len(labels)
            named[known] = labels[order[rank[known]]]
            out.append(named)
        return out[::-1]

    def count(self) -> np.ndarray:
        return np.bincount(self._inverse, minlength=len(self._keys))

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self._inverse, weights=values, minlength=len(self._keys))

    def first(self, at: np.ndarray) -> pd.Series:
        """The earliest time per group, NaT when none is known."""
        latest = np.iinfo(np.int64).max
        if not len(at):
            return _times(at)
        low = np.minimum.reduceat(np.where(at == NO_TIME, latest, at)[self._order], self._starts)
        return _times(np.where(low == latest, NO_TIME, low))

    def last(self, at: np.ndarray) -> pd.Series:
        """The latest time per group, NaT when none is known (NO_TIME is below every time)."""
        return _times(np.maximum.reduceat(at[self._order], self._starts) if len(at) else at)


def step_handlers(facts: Facts) -> pd.DataFrame:
    """``ownership_step_handlers``: per step and department, the touchpoints it handled, and
    those from its campaigns that nobody handled."""
    tp, step = _step_rows(facts)
    i, j = facts.join(tp, "handled_by", "source")
    handled = pd.DataFrame(
        {"step": step[i], "department": facts.column("handled_by", "target")[j], "via": "handled"}
    )
    handled_any = np.zeros(facts.size("touchpoints"), dtype=bool)
    handled_any[facts.column("handled_by", "source")] = True
    free = ~handled_any[tp]
    i, j = facts.join(tp[free], "from_campaign", "source")
    campaign_step = step[free][i]
    i2, j2 = facts.join(facts.column("from_campaign", "target")[j], "run_by", "source")
    by_campaign = pd.DataFrame(
        {
            "step": campaign_step[i2],
            "department": facts.column("run_by", "target")[j2],
            "via": "campaign",
        }
    )
    rows = pd.concat([handled, by_campaign], ignore_index=True)
    counted = rows.groupby(["step", "department", "via"], sort=False).size()
    counted = counted.rename("touchpoints").reset_index()
    return pd.DataFrame(
        {
            "step_id": facts.keys("steps")[counted["step"].to_numpy(dtype=np.int64)],
            "department_id": facts.keys("departments")[
                counted["department"].to_numpy(dtype=np.int64)
            ],
            "department": facts.column("departments", "name")[
                counted["department"].to_numpy(dtype=np.int64)
            ],
            "via": counted["via"].to_numpy(dtype=object),
            "touchpoints": counted["touchpoints"].to_numpy(dtype=np.int64),
        }
    )


def _valued_in(facts: Facts, since: dt.datetime, until: dt.datetime) -> np.ndarray:
    at = facts.column("touchpoints", "at")
    value = facts.column("touchpoints", "value")
    return (at != NO_TIME) & (at >= micros(since)) & (at < micros(until)) & ~np.isnan(value)


def customer_value(facts: Facts, since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    """``ownership_customer_value``: each customer's summed touchpoint value in the window."""
    customer, tp = facts.column("had", "source"), facts.column("had", "target")
    keep = _valued_in(facts, since, until)[tp]
    customer, tp = customer[keep], tp[keep]
    weights = facts.column("touchpoints", "value")[tp]
    total = np.bincount(customer, weights=weights, minlength=facts.size("customers"))
    present = arrays.unique(customer)
    return pd.DataFrame({"customer_id": facts.keys("customers")[present], "value": total[present]})


def customer_step_value(facts: Facts, since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    """``ownership_customer_step_value``: each customer's summed value per step in the window."""
    tp, step = _step_rows(facts)
    keep = _valued_in(facts, since, until)[tp]
    tp, step = tp[keep], step[keep]
    i, j = facts.join(tp, "had", "target")
    customer, step, tp = facts.column("had", "source")[j], step[i], tp[i]
    n_steps = max(facts.size("steps"), 1)
    key, inverse = arrays.dense_unique(customer * n_steps + step)
    total = np.bincount(inverse.ravel(), weights=facts.column("touchpoints", "value")[tp])
    return pd.DataFrame(
        {
            "customer_id": facts.keys("customers")[key // n_steps],
            "step_id": facts.keys("steps")[key % n_steps],
            "value": total,
        }
    )


def orphans(facts: Facts) -> pd.DataFrame:
    """``ownership_orphans``: touchpoints at no step, per channel and kind."""
    placed = np.zeros(facts.size("touchpoints"), dtype=bool)
    placed[facts.column("at_step", "source")] = True
    if facts.touchpoints_in_scope is not None:  # one persona's (graph360.facts.people)
        placed |= ~facts.touchpoints_in_scope
    free = np.flatnonzero(~placed)
    at = facts.column("touchpoints", "at")[free]
    coded = [facts.codes("touchpoints", name) for name in ("channel", "kind")]
    groups = _Groups(*((codes[free], np.asarray(names, dtype=object)) for codes, names in coded))
    channel, kind = groups.labels()
    value = np.nan_to_num(facts.column("touchpoints", "value")[free], nan=0.0)
    return pd.DataFrame(
        {
            "channel": channel,
            "kind": kind,
            "touchpoints": groups.count(),
            "value": groups.sum(value),
            "first_at": groups.first(at),
            "last_at": groups.last(at),
        }
    )


class Reader:
    """``frame`` as a store has it, the audit's named projections answered from the facts."""

    def __init__(self, store: GraphStore, facts: Facts) -> None:
        self.store = store
        self.facts = facts

    def frame(self, name: str, **params: Any) -> pd.DataFrame:
        if name == "ownership_step_traffic":
            return step_traffic(self.facts, params["since"], params["until"])
        if name == "ownership_step_handlers":
            return step_handlers(self.facts)
        if name == "ownership_customer_value":
            return customer_value(self.facts, params["since"], params["until"])
        if name == "ownership_customer_step_value":
            return customer_step_value(self.facts, params["since"], params["until"])
        if name == "ownership_orphans":
            return orphans(self.facts)
        return self.store.frame(name, **params)
