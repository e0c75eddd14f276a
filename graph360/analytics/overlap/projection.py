"""The compact projections the measures work on: customer, unit and time rows pulled once
from the facts projection or the ``overlap_*`` named queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graph360.analytics.overlap.base import (
    _NOTHING,
    NOT_REACHED_KINDS,
    NOT_REACHED_OUTCOMES,
    By,
    Units,
    _bounds,
    _frame,
    _seconds,
    units,
)
from graph360.facts import overlap as from_facts
from graph360.facts.tables import Facts
from graph360.store.base import GraphStore


@dataclass
class _Projection:
    """The period's facts, coded once: customers as codes into ``customers``, units as indexes.

    ``reach_*`` holds (customer, unit) pairs, repeats allowed; ``contact_*`` one row per
    contact (see the module docstring) with its time in whole seconds since 1970.
    """

    units: Units
    start: dt.datetime
    end: dt.datetime
    since: dt.datetime | None
    until: dt.datetime | None
    customers: np.ndarray
    reach_cust: np.ndarray
    reach_unit: np.ndarray
    contact_cust: np.ndarray
    contact_unit: np.ndarray
    contact_secs: np.ndarray


def _project(
    store: GraphStore,
    by: By,
    since: dt.date | dt.datetime | None,
    until: dt.date | dt.datetime | None,
    *,
    targets: bool = True,
) -> _Projection:
    """Pull the touchpoints (and campaign targets) of the period and code them."""
    chosen = units(store, by)
    start, end = _bounds(since, until)
    if isinstance(store, from_facts.Reader):
        return _project_facts(store.facts, chosen, start, end, since, until, targets=targets)
    touchpoints = _frame(
        store,
        "overlap_touchpoints",
        ["customer_id", "department_id", "at", "contact"],
        since=start,
        until=end,
        not_reached_kinds=list(NOT_REACHED_KINDS) or _NOTHING,
        not_reached_outcomes=list(NOT_REACHED_OUTCOMES) or _NOTHING,
    )
    listed = (
        _frame(
            store,
            "overlap_targets",
            ["customer_id", "department_id"],
            since=start,
            until=end,
            undated=since is None and until is None,
        )
        if targets
        else pd.DataFrame({"customer_id": [], "department_id": []})
    )
    t_unit = chosen.codes(touchpoints["department_id"])
    l_unit = chosen.codes(listed["department_id"])
    codes, customers = pd.factorize(
        pd.concat([touchpoints["customer_id"], listed["customer_id"]], ignore_index=True)
    )
    t_cust, l_cust = codes[: len(touchpoints)], codes[len(touchpoints) :]
    contact = touchpoints["contact"].to_numpy(dtype=bool) & (t_unit >= 0)
    reach_cust = np.concatenate([t_cust[t_unit >= 0], l_cust[l_unit >= 0]])
    reach_unit = np.concatenate([t_unit[t_unit >= 0], l_unit[l_unit >= 0]])
    return _Projection(
        units=chosen,
        start=start,
        end=end,
        since=None if since is None else start,
        until=None if until is None else end,
        customers=np.asarray(customers, dtype=object),
        reach_cust=reach_cust,
        reach_unit=reach_unit,
        contact_cust=t_cust[contact],
        contact_unit=t_unit[contact],
        contact_secs=_seconds(touchpoints["at"])[contact],
    )


def _project_facts(
    facts: Facts,
    chosen: Units,
    start: dt.datetime,
    end: dt.datetime,
    since: dt.date | dt.datetime | None,
    until: dt.date | dt.datetime | None,
    *,
    targets: bool,
) -> _Projection:
    """:func:`_project` from the facts: the same rows as the named queries, kept as codes
    (customers are the facts' customer codes; units come through a department lookup)."""
    kinds, outcomes = list(NOT_REACHED_KINDS) or _NOTHING, list(NOT_REACHED_OUTCOMES) or _NOTHING
    touched = facts.derived(
        ("overlap touchpoints", start, end, tuple(kinds), tuple(outcomes)),
        lambda: from_facts.touchpoints(facts, start, end, kinds, outcomes),
    )
    unit_of = chosen.codes(pd.Series(facts.keys("departments"), dtype=object))
    t_unit = unit_of[touched.department] if len(unit_of) else touched.department
    t_cust = touched.customer
    if targets:
        listed = from_facts.targets(facts, start, end, since is None and until is None)
        l_unit = unit_of[listed.department] if len(unit_of) else listed.department
        l_cust = listed.customer
    else:
        l_unit = l_cust = np.zeros(0, dtype=np.int64)
    contact = touched.contact & (t_unit >= 0)
    return _Projection(
        units=chosen,
        start=start,
        end=end,
        since=None if since is None else start,
        until=None if until is None else end,
        customers=facts.keys("customers"),
        reach_cust=np.concatenate([t_cust[t_unit >= 0], l_cust[l_unit >= 0]]),
        reach_unit=np.concatenate([t_unit[t_unit >= 0], l_unit[l_unit >= 0]]),
        contact_cust=t_cust[contact],
        contact_unit=t_unit[contact],
        contact_secs=np.floor_divide(touched.at[contact], 1_000_000),
    )
