"""The overlap analytic's projections, answered from the facts instead of multi-hop Cypher.

Each function gives what its ``overlap_*`` named query gives (the same rows, as a multiset),
from the facts' code columns; :mod:`graph360.analytics.overlap` reads through :class:`Reader`,
which falls back to the store for anything not here. The touchpoint and target rows stay as
codes (``touchpoints``, ``targets``): ten million customer ids as strings would cost seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graph360 import arrays
from graph360.facts.tables import NO_TIME, Facts, micros
from graph360.store.base import GraphStore


@dataclass(frozen=True)
class Rows:
    """Coded rows: customer and department codes, times in microseconds, a contact flag."""

    customer: np.ndarray
    department: np.ndarray
    at: np.ndarray
    contact: np.ndarray


def _not_in(facts: Facts, table: str, column: str, values: list[str]) -> np.ndarray:
    """``NOT coalesce(column, '') IN values`` for every row of ``table``."""
    codes, dictionary = facts.codes(table, column)
    bad = np.array([v in values for v in dictionary] + ["" in values], dtype=bool)
    return ~bad[codes]  # code -1 (null) reads the last entry: '' in values


def _in_period(at: np.ndarray, since: dt.datetime, until: dt.datetime) -> np.ndarray:
    return (at != NO_TIME) & (at >= micros(since)) & (at < micros(until))


def _purchase(facts: Facts, void_outcomes: list[str]) -> np.ndarray:
    """Touchpoints of kind purchase, value > 0, outcome not void (overlap's purchase)."""
    codes, dictionary = facts.codes("touchpoints", "kind")
    is_purchase = np.array([v == "purchase" for v in dictionary] + [False], dtype=bool)[codes]
    value = facts.column("touchpoints", "value")
    with np.errstate(invalid="ignore"):
        positive = value > 0
    return is_purchase & positive & _not_in(facts, "touchpoints", "outcome", void_outcomes)


def touchpoints(
    facts: Facts,
    since: dt.datetime,
    until: dt.datetime,
    not_reached_kinds: list[str],
    not_reached_outcomes: list[str],
) -> Rows:
    """``overlap_touchpoints``: the handling department's rows (contact), then the campaign's
    department's rows (contact when nobody handled the touchpoint)."""
    at = facts.column("touchpoints", "at")
    keep = _in_period(at, since, until)
    keep &= _not_in(facts, "touchpoints", "kind", not_reached_kinds)
    keep &= _not_in(facts, "touchpoints", "outcome", not_reached_outcomes)
    had_c, had_t = facts.column("had", "source"), facts.column("had", "target")
    had = keep[had_t]
    had_c, had_t = had_c[had], had_t[had]
    handled_t = facts.column("handled_by", "source")
    handled_d = facts.column("handled_by", "target")
    i, j = facts.join(had_t, "handled_by", "source")
    first = Rows(had_c[i], handled_d[j], at[had_t[i]], np.ones(len(i), dtype=bool))
    # Campaign route: HAD x FROM_CAMPAIGN x RUN_BY.
    from_k = facts.column("from_campaign", "target")
    i, j = facts.join(had_t, "from_campaign", "source")
    tp, campaign = had_t[i], from_k[j]
    customer = had_c[i]
    run_d = facts.column("run_by", "target")
    i2, j2 = facts.join(campaign, "run_by", "source")
    tp, customer = tp[i2], customer[i2]
    handled_any = np.zeros(facts.size("touchpoints"), dtype=bool)
    handled_any[handled_t] = True
    second = Rows(customer, run_d[j2], at[tp], ~handled_any[tp])
    return Rows(
        np.concatenate([first.customer, second.customer]),
        np.concatenate([first.department, second.department]),
        np.concatenate([first.at, second.at]),
        np.concatenate([first.contact, second.contact]),
    )


def targets(facts: Facts, since: dt.datetime, until: dt.datetime, undated: bool) -> Rows:
    """``overlap_targets``: distinct (customer, department) of the campaigns' targets placed in
    the period by added_at, else the campaign's started_at (undated ones when ``undated``)."""
    campaign = facts.column("targets", "source")
    customer = facts.column("targets", "target")
    added = facts.column("targets", "added_at")
    started = facts.column("campaigns", "started_at")[campaign]
    at = np.where(added != NO_TIME, added, started)
    keep = _in_period(at, since, until) | (undated & (at == NO_TIME))
    campaign, customer = campaign[keep], customer[keep]
    i, j = facts.join(campaign, "run_by", "source")
    customer, department = _distinct_pairs(
        customer[i], facts.column("run_by", "target")[j], facts.size("departments")
    )
    return Rows(
        customer,
        department,
        np.full(len(customer), NO_TIME),
        np.zeros(len(customer), dtype=bool),
    )


def _distinct_pairs(a: np.ndarray, b: np.ndarray, b_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (a, b) pairs, ordered by a then b (one 1-D unique of a * b_size + b:
    ``np.unique(axis=0)`` sorts rows as records, several times slower)."""
    key = arrays.unique(a.astype(np.int64) * max(b_size, 1) + b)
    return key // max(b_size, 1), key % max(b_size, 1)


def units(facts: Facts) -> pd.DataFrame:
    """``overlap_units``: every department with its name and division, by id."""
    frame = pd.DataFrame(
        {
            "department_id": facts.keys("departments"),
            "name": facts.column("departments", "name"),
            "division": facts.column("departments", "division"),
        }
    )
    return frame.sort_values("department_id", kind="stable").reset_index(drop=True)


def purchase_codes(
    facts: Facts, since: dt.datetime, until: dt.datetime, void_outcomes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """``overlap_purchases`` as codes: each purchase's customer code and time (microseconds)."""
    at = facts.column("touchpoints", "at")
    keep = _purchase(facts, void_outcomes) & _in_period(at, since, until)
    had_c, had_t = facts.column("had", "source"), facts.column("had", "target")
    chosen = keep[had_t]
    return had_c[chosen], at[had_t[chosen]]


def purchases(
    facts: Facts, since: dt.datetime, until: dt.datetime, void_outcomes: list[str]
) -> pd.DataFrame:
    """``overlap_purchases``: customer_id and at of every purchase in the period."""
    customer, at = purchase_codes(facts, since, until, void_outcomes)
    return pd.DataFrame(
        {"customer_id": facts.keys("customers")[customer], "at": pd.to_datetime(at, unit="us")}
    )


def buyers(facts: Facts, until: dt.datetime, void_outcomes: list[str]) -> pd.DataFrame:
    """``overlap_buyers``: distinct (customer, department) of account holders and buyers."""
    opened = facts.column("accounts", "opened_at")
    holds_c, holds_a = facts.column("holds", "source"), facts.column("holds", "target")
    man_d = facts.column("managed_by", "target")
    i, j = facts.join(holds_a, "managed_by", "source")
    ok = (opened[holds_a[i]] == NO_TIME) | (opened[holds_a[i]] < micros(until))
    parts = [np.stack([holds_c[i][ok], man_d[j][ok]], axis=1)]
    at = facts.column("touchpoints", "at")
    keep = _purchase(facts, void_outcomes) & (at != NO_TIME) & (at < micros(until))
    had_c, had_t = facts.column("had", "source"), facts.column("had", "target")
    chosen = keep[had_t]
    had_c, had_t = had_c[chosen], had_t[chosen]
    i, j = facts.join(had_t, "handled_by", "source")
    parts.append(np.stack([had_c[i], facts.column("handled_by", "target")[j]], axis=1))
    i, j = facts.join(had_t, "from_campaign", "source")
    customer, campaign = had_c[i], facts.column("from_campaign", "target")[j]
    i, j = facts.join(campaign, "run_by", "source")
    parts.append(np.stack([customer[i], facts.column("run_by", "target")[j]], axis=1))
    pairs = np.concatenate(parts).reshape(-1, 2)
    customer, department = _distinct_pairs(pairs[:, 0], pairs[:, 1], facts.size("departments"))
    return pd.DataFrame(
        {
            "customer_id": facts.keys("customers")[customer],
            "department_id": facts.keys("departments")[department],
        }
    )


def profiles(facts: Facts) -> pd.DataFrame:
    """``overlap_profiles``: every customer's segment, persona and region."""
    return pd.DataFrame(
        {
            "customer_id": facts.keys("customers"),
            "segment": facts.column("customers", "segment"),
            "persona": facts.column("customers", "persona"),
            "region": facts.column("customers", "region"),
        }
    )


class Reader:
    """What the overlap code reads through: ``frame`` and ``query`` as a store has them, the
    named projections answered from the facts, anything else (a few names) by the store."""

    def __init__(self, store: GraphStore, facts: Facts) -> None:
        self.store = store
        self.facts = facts

    def frame(self, name: str, **params: Any) -> pd.DataFrame:
        if name == "overlap_units":
            return units(self.facts)
        if name == "overlap_purchases":
            return purchases(
                self.facts, params["since"], params["until"], list(params["void_outcomes"])
            )
        if name == "overlap_buyers":
            return buyers(self.facts, params["until"], list(params["void_outcomes"]))
        if name == "overlap_profiles":
            return profiles(self.facts)
        return self.store.frame(name, **params)

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return self.store.query(name, **params)
