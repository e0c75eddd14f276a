"""Multichannel journeys: how many people cross channels on one journey, in which order, and
whether those who do convert better.

"56 percent of all customer interactions happen across a multichannel journey." Definitions,
for one journey, over the touchpoints at its steps (AT_STEP) in the period:

- a customer's **channels** are the distinct channels of those touchpoints; their **sequence**
  is those channels in the order the customer first used each one (``email > web > app``;
  sequences longer than :data:`MAX_SEQUENCE` channels keep the first ones and say so);
- **multichannel**: two or more channels; the **share** is of the customers on the journey;
- **converted**: reached the goal step (``goal``; by default the journey's last step, its
  highest position — name the real goal where the last step is a recovery step);
- the **test**: conversion of single- against multichannel customers, a 2x2 table tested with
  Fisher's exact test when a cell is under 5 (``statistic``: the odds ratio, null when a cell is
  empty) and Pearson's chi-squared (no continuity correction) otherwise (``scipy.stats``),
  with the difference of the two rates (multi minus single).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from graph360 import facts
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.facts.tables import micros
from graph360.store.base import GraphStore

__all__ = ["MAX_SEQUENCE", "Multichannel", "multichannel"]

MAX_SEQUENCE = 6


@dataclass
class Multichannel:
    journey_id: str
    goal: list[str]  # the step(s) that count as converting
    since: dt.datetime | None
    until: dt.datetime | None
    customers: int
    multichannel: int
    share_multichannel: float | None
    by_channels: list[dict[str, Any]]  # {"channels": n, "customers": k}
    sequences: list[dict[str, Any]]  # {"sequence": [...], "customers", "share", "converted"}
    single_converted: int
    single_customers: int
    multi_converted: int
    multi_customers: int
    single_rate: float | None
    multi_rate: float | None
    difference: float | None
    test: str | None
    statistic: float | None
    p_value: float | None
    as_of: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def multichannel(
    store: GraphStore,
    journey_id: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    goal: str | None = None,
    top: int = 10,
) -> Multichannel:
    """The multichannel figures of ``journey_id`` (see the module). Raises NotFoundError for
    an unknown journey or a goal that is not one of its steps, InvalidRequestError for a
    ``top`` outside 1..100."""
    if not 1 <= top <= 100:
        raise InvalidRequestError(f"top must be between 1 and 100, not {top}")
    f = facts.current(store)
    journeys = f.column("steps", "journey_id")
    inside = np.flatnonzero(journeys == journey_id)
    if not len(inside):
        known = ", ".join(sorted({str(j) for j in journeys if j is not None})) or "none"
        raise NotFoundError(f"no journey {journey_id!r} (journeys: {known})")
    if goal is None:
        positions = f.column("steps", "position")[inside]
        last = inside[positions == np.nanmax(positions)]
    else:
        last = inside[f.keys("steps")[inside] == goal]
        if not len(last):
            steps = ", ".join(sorted(str(k) for k in f.keys("steps")[inside]))
            raise NotFoundError(f"no step {goal!r} in journey {journey_id!r} (steps: {steps})")
    goal_steps = sorted(str(k) for k in f.keys("steps")[last])

    source, target = f.column("at_step", "source"), f.column("at_step", "target")
    at_journey = np.isin(target, inside)
    tp, step = source[at_journey], target[at_journey]
    at = f.column("touchpoints", "at")[tp]
    keep = np.ones(len(tp), dtype=bool)
    if since is not None:
        keep &= at >= micros(since)
    if until is not None:
        keep &= at < micros(until)
    tp, step, at = tp[keep], step[keep], at[keep]
    i, j = f.join(tp, "had", "target")
    tp, step, at = tp[i], step[i], at[i]
    customer = f.column("had", "source")[j]
    channel, names = f.codes("touchpoints", "channel")
    channel = channel[tp]
    n_channels = len(names) + 1  # -1 (no channel) becomes its own code
    channel = np.where(channel < 0, len(names), channel)

    # each (customer, channel)'s first time, then each customer's channels in that order
    pair = customer.astype(np.int64) * n_channels + channel
    order = np.lexsort((at, pair))
    pair, at_sorted = pair[order], at[order]
    firsts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    p_customer, p_channel, p_at = (
        pair[firsts] // n_channels,
        pair[firsts] % n_channels,
        at_sorted[firsts],
    )
    order = np.lexsort((p_channel, p_at, p_customer))
    p_customer, p_channel = p_customer[order], p_channel[order]
    people, start, count = np.unique(p_customer, return_index=True, return_counts=True)
    rank = np.arange(len(p_customer)) - np.repeat(start, count)
    kept = rank < MAX_SEQUENCE
    base = np.int64(n_channels + 1)
    weights = (p_channel[kept] + 1) * base ** rank[kept].astype(np.int64)
    sequence = np.zeros(len(people), dtype=np.int64)
    np.add.at(sequence, np.searchsorted(people, p_customer[kept]), weights)

    converted_people = np.unique(customer[np.isin(step, last)])
    converted = np.isin(people, converted_people)
    multi = count >= 2

    report = Multichannel(
        journey_id=journey_id,
        goal=goal_steps,
        since=since,
        until=until,
        customers=len(people),
        multichannel=int(multi.sum()),
        share_multichannel=float(multi.mean()) if len(people) else None,
        by_channels=[
            {"channels": int(k), "customers": int(n)}
            for k, n in zip(*np.unique(count, return_counts=True), strict=True)
        ],
        sequences=[],
        single_converted=int((converted & ~multi).sum()),
        single_customers=int((~multi).sum()),
        multi_converted=int((converted & multi).sum()),
        multi_customers=int(multi.sum()),
        single_rate=None,
        multi_rate=None,
        difference=None,
        test=None,
        statistic=None,
        p_value=None,
        as_of=f.as_of,
    )
    labels = [str(n) for n in names] + ["(none)"]
    found, first_of, n_seq = np.unique(sequence, return_index=True, return_counts=True)
    for k in np.lexsort((found, -n_seq))[:top]:
        mine = sequence == found[k]
        person = first_of[k]
        codes = p_channel[start[person] : start[person] + min(count[person], MAX_SEQUENCE)]
        report.sequences.append(
            {
                "sequence": [labels[c] for c in codes],
                "truncated": bool(count[person] > MAX_SEQUENCE),
                "customers": int(n_seq[k]),
                "share": float(n_seq[k] / len(people)),
                "converted": float(converted[mine].mean()),
            }
        )
    _test(report)
    return report


def _test(report: Multichannel) -> None:
    """Conversion, single against multichannel (see the module)."""
    a, n_a = report.single_converted, report.single_customers
    b, n_b = report.multi_converted, report.multi_customers
    if not n_a or not n_b:
        return
    report.single_rate, report.multi_rate = a / n_a, b / n_b
    report.difference = report.multi_rate - report.single_rate
    table = np.array([[b, n_b - b], [a, n_a - a]])
    if (table.sum(axis=0) == 0).any():  # everyone or nobody converted: nothing to test
        return
    if table.min() < 5:
        result = stats.fisher_exact(table)
        odds = float(result.statistic)  # the odds ratio: infinite when a cell is empty
        report.test, report.statistic = "fisher exact", odds if np.isfinite(odds) else None
    else:
        result = stats.chi2_contingency(table, correction=False)
        report.test, report.statistic = "chi-squared", float(result.statistic)
    report.p_value = float(result.pvalue)
