"""The rules' and the value scores' projections, answered from the facts instead of Cypher.

Each function gives the rows its named query gives (``value_customers``, ``value_purchases``,
``value_holdings``, ``routing_ratings``, ``routing_complaints``, ``routing_step_owners``,
``routing_departments``), from the facts' codes: the touchpoints are picked with numpy on their
coded columns, and ids and texts are taken only for the rows answered (a touchpoint's key and a
complaint's text from the remarks table, :data:`graph360.facts.tables.REMARKS`). What the rules and
the value scores write themselves (the scores on customers, flags, actions) is not in the
projection: it is read with its own one-label Cypher. With ``coded`` a customer is its
integer code instead of its id (the value scores group a million customers on it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import pandas as pd

from graph360.facts.tables import NO_TIME, REMARKS, Facts, micros


def _member(
    facts: Facts, table: str, column: str, values: Collection[str], *, lower: bool = False
) -> np.ndarray:
    """``column IN values`` for every row of ``table`` (a null is never in); ``lower``
    compares ``toLower(column)``."""
    codes, dictionary = facts.codes(table, column)
    wanted = set(values)
    lookup = [(v.lower() if lower and v is not None else v) in wanted for v in dictionary]
    return np.array([*lookup, False], dtype=bool)[codes]


def _customer_of(facts: Facts) -> np.ndarray:
    """Each touchpoint's customer code (-1: none), from the HAD pairs."""
    out = np.full(facts.size("touchpoints"), -1, dtype=np.int64)
    out[facts.column("had", "target")] = facts.column("had", "source")
    return out


def _times(codes: np.ndarray) -> np.ndarray:
    """Microsecond codes as datetime64[us] (:data:`NO_TIME` is NaT: the same int64)."""
    return codes.astype("datetime64[us]")


def _strings(facts: Facts, table: str, column: str, rows: np.ndarray) -> np.ndarray:
    """A string column's values at ``rows`` (None for null), made for those rows only."""
    return facts.at(table, column, rows)


def _remarked(facts: Facts) -> tuple[np.ndarray, np.ndarray]:
    """The touchpoints in the remarks table (every rated one and every complaint: all the
    rules and the at-risk score look at) and their customers (-1: none), without decoding
    ten-million-row columns."""
    rows = facts.column(REMARKS, "touchpoint")
    customer = np.full(len(rows), -1, dtype=np.int64)
    i, j = facts.join(rows, "had", "target")
    customer[i] = facts.column("had", "source")[j]
    return rows, customer


def _remark(facts: Facts, touchpoints: np.ndarray, column: str) -> np.ndarray:
    """The remarks table's ``column`` for these touchpoint codes (every rated touchpoint and
    every complaint is there; None elsewhere)."""
    codes = facts.column(REMARKS, "touchpoint")
    values = np.append(facts.column(REMARKS, column), None)
    where = np.searchsorted(codes, touchpoints)
    found = (where < len(codes)) & (codes[np.minimum(where, max(len(codes) - 1, 0))] == touchpoints)
    return values[np.where(found, where, len(codes))]


def _who(facts: Facts, codes: np.ndarray, coded: bool) -> np.ndarray:
    """Customers as ids, or (``coded``) as their integer codes, cheaper to group on."""
    return codes if coded else facts.keys("customers")[codes]


def customers(facts: Facts, *, coded: bool = False) -> pd.Series:
    """``value_customers``: every customer id (``coded``: every customer code)."""
    n = facts.size("customers")
    return pd.Series(_who(facts, np.arange(n), coded), name="customer_id")


def purchases(
    facts: Facts,
    kinds: Collection[str],
    void_outcomes: Collection[str],
    until: dt.datetime,
    *,
    coded: bool = False,
) -> pd.DataFrame:
    """``value_purchases``: purchases with a value up to ``until`` whose outcome does not void
    them, with their customer."""
    at = facts.column("touchpoints", "at")
    value = facts.column("touchpoints", "value")
    customer = _customer_of(facts)
    keep = _member(facts, "touchpoints", "kind", kinds) & ~np.isnan(value)
    keep &= (at != NO_TIME) & (at <= micros(until)) & (customer >= 0)
    keep &= ~_member(facts, "touchpoints", "outcome", void_outcomes, lower=True)
    rows = np.flatnonzero(keep)
    return pd.DataFrame(
        {
            "customer_id": _who(facts, customer[rows], coded),
            "at": _times(at[rows]),
            "value": value[rows],
        }
    )


def holdings(facts: Facts, *, coded: bool = False) -> pd.DataFrame:
    """``value_holdings``: every holding with the account's status, value, opening and the
    holder's role."""
    customer, account = facts.column("holds", "source"), facts.column("holds", "target")
    return pd.DataFrame(
        {
            "customer_id": _who(facts, customer, coded),
            "account_id": facts.keys("accounts")[account],
            "status": _strings(facts, "accounts", "status", account),
            "value": facts.column("accounts", "value")[account],
            "opened_at": _times(facts.column("accounts", "opened_at")[account]),
            "role": _strings(facts, "holds", "role", np.arange(facts.size("holds"))),
        }
    )


def _touchpoint_rows(
    facts: Facts, rows: np.ndarray, customer: np.ndarray, coded: bool
) -> pd.DataFrame:
    """Touchpoints ``rows`` (remarked ones) of ``customer`` (their codes)."""
    return pd.DataFrame(
        {
            "customer_id": _who(facts, customer, coded),
            "touchpoint_id": _remark(facts, rows, "key"),
            "at": _times(facts.at("touchpoints", "at", rows)),
            "kind": _strings(facts, "touchpoints", "kind", rows),
        }
    )


def ratings(facts: Facts, *, coded: bool = False) -> pd.DataFrame:
    """``routing_ratings``: every rated touchpoint a customer had, one row per step it is at
    (one with no step when at none)."""
    remarked, customer = _remarked(facts)
    rating = facts.at("touchpoints", "rating", remarked)
    keep = ~np.isnan(rating) & (customer >= 0)
    rows, customer, rating = remarked[keep], customer[keep], rating[keep]
    i, j = facts.join(rows, "at_step", "source")
    steps = facts.column("at_step", "target")[j]
    placed = np.zeros(len(rows), dtype=bool)
    placed[i] = True
    alone = np.flatnonzero(~placed)
    which = np.concatenate([i, alone])
    step = np.concatenate([steps, np.full(len(alone), -1, dtype=np.int64)])
    picked = rows[which]
    frame = _touchpoint_rows(facts, picked, customer[which], coded)
    frame["rating"] = rating[which]
    frame["rating_scale"] = facts.at("touchpoints", "rating_scale", picked)
    step_keys = np.append(facts.keys("steps"), None)
    step_names = np.append(facts.column("steps", "name"), None)
    frame["step_id"] = step_keys[step]
    frame["step"] = step_names[step]
    return frame


def complaints(facts: Facts, kinds: Collection[str], *, coded: bool = False) -> pd.DataFrame:
    """``routing_complaints``: every complaint a customer had, with its text, outcome and
    resolution."""
    remarked, customer = _remarked(facts)
    kind = facts.at("touchpoints", "kind", remarked)
    keep = np.isin(kind, list(kinds)) & (customer >= 0)
    rows = remarked[keep]
    frame = _touchpoint_rows(facts, rows, customer[keep], coded)
    frame["text"] = _remark(facts, rows, "text")
    frame["outcome"] = _strings(facts, "touchpoints", "outcome", rows)
    frame["resolution"] = _remark(facts, rows, "resolution")
    return frame


def step_owners(facts: Facts) -> pd.DataFrame:
    """``routing_step_owners``: (step, owning department), ordered by both ids."""
    frame = pd.DataFrame(
        {
            "step_id": facts.keys("steps")[facts.column("owned_by", "source")],
            "department_id": facts.keys("departments")[facts.column("owned_by", "target")],
        }
    )
    return frame.sort_values(["step_id", "department_id"], ignore_index=True)


def departments(facts: Facts) -> pd.DataFrame:
    """``routing_departments``: every department's id and name, by id."""
    frame = pd.DataFrame(
        {
            "department_id": facts.keys("departments"),
            "name": facts.column("departments", "name"),
        }
    )
    return frame.sort_values("department_id", ignore_index=True)
