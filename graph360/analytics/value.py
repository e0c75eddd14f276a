"""Customer value: what a customer is worth now, what they may be worth next year, and how
likely they are to drift away.

Everything is computed as of one moment ``as_of`` (default: now, UTC) from purchases, account
holdings, ratings and complaints, for every customer at once (pandas, no per-customer loop), and
stored on Customer (``current_value``, ``potential_value``, ``at_risk``, ``value_at``) with one
bulk upsert, so the 360 card reads the numbers instead of recomputing them.

Definitions
-----------

**Purchase**: a touchpoint of a kind in :data:`PURCHASE_KINDS` (``purchase``) with a value, at
or before ``as_of``, whose outcome does not void it (:data:`VOID_OUTCOMES`: refunded,
cancelled, voided, failed — pending and partially refunded orders count, at their value).
A **purchase occasion** is a calendar day with at least one purchase: the line items of one
order (the shop export makes one touchpoint per line) and several orders on one day are one
occasion, as in the buy-till-you-die literature, which counts repeat-purchase periods.

**Account value**: ``Account.value`` is the account's annual value (the demo's convention:
Digital monthly 119.88 = 12 x 9.99). An account counts while its status is ``active`` and it
was opened at or before ``as_of``. A shared account's value is split equally among its holders
in a paying role (:data:`PAYING_ROLES`: owner, admin), or among all its holders when none has a
paying role, so summing over customers never counts an account twice (the members of a team
licence are not each worth the whole licence).

**Current value** = purchases in the 12 months (365 days) up to ``as_of`` + the annual value of
the customer's share of active accounts.

**RFM**, over the customers with at least one purchase occasion up to ``as_of``:

- R, recency: whole days from the last occasion to ``as_of``;
- F, frequency: the number of occasions;
- M, monetary: the average value of an occasion (total purchases / F).

Each is scored 1-5 by quintile over those customers (5 = most recent, most frequent, highest
spend): score = ceil(5 x (rank - 1/2) / n), rank 1 the lowest, tied values sharing their
average rank (so a block of ties lands in the quintile of its middle, and a population that is
all tied scores 3). The F and M scores describe the customer; the projection uses R's score and
the raw F and M.

**Potential value** (next 12 months) = retention(R score) x occasions per year x M + the
annual value of active accounts (expected to renew). Occasions per year = F x 365 / the days
from the first occasion to ``as_of``, at least 365 (a short burst is not extrapolated).
Retention is a fixed, documented table, :data:`RETENTION`: R score 5 → 0.9, 4 → 0.7, 3 → 0.5,
2 → 0.3, 1 → 0.1. Customers who never bought have no RFM and a potential equal to their
account value.

**At risk** (0..1) combines three signs, each a probability-like part, as a noisy OR:
``1 - (1 - overdue) x (1 - rating) x (1 - complaint)``, where

- overdue = clip((days since the last occasion / the expected gap - 1) / 2, 0, 1): zero while
  the customer is within their usual gap between occasions, one when three gaps have passed.
  The expected gap is the customer's own mean gap, (last - first occasion) / (F - 1) for
  repeat buyers, never under :data:`MIN_GAP_DAYS` (30: two purchases on consecutive days do
  not make a one-day rhythm); for one-occasion buyers it is the median gap of the repeat
  buyers (365 days when there are none). Customers who never bought are not overdue;
- rating = 0.5 when the customer gave a poor rating (see :mod:`graph360.analytics.routing`)
  in the 90 days up to ``as_of``;
- complaint = 0.5 when the customer has an unresolved complaint opened at or before ``as_of``.

Worked example (checked by ``tests/test_value.py::test_the_docstrings_worked_example``)
---------------------------------------------------------------------------------------

Five buyers, ``as_of`` 2026-01-01, last occasions 10, 40, 100, 200 and 400 days earlier: their
R scores are 5, 4, 3, 2, 1. Take the second, B: four occasions, the first 730 days before
``as_of``, 200.00 spent in all, so M = 50.00; occasions per year = 4 x 365 / 730 = 2; R score 4
gives retention 0.7; B also owns an active Digital monthly account worth 119.88 a year:

    potential = 0.7 x 2 x 50.00 + 119.88 = 189.88

If two of B's occasions (60.00) fell in 2025, B's current value is 60.00 + 119.88 = 179.88.
B's expected gap is (730 - 40) / 3 = 230 days and only 40 have passed: not overdue, and with
no poor rating or open complaint B's at-risk score is 0. The fifth buyer, E, with two occasions
460 and 400 days before ``as_of`` (a 60-day gap) is 400 / 60 = 6.7 gaps late: overdue = 1,
at risk = 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from graph360 import facts as facts_
from graph360.analytics.routing import (
    AT_RISK_THRESHOLD,
    poor_rating,
    projection,
    rated_touchpoints,
    read_complaints,
    unresolved,
)
from graph360.analytics.routing.reading import _typed as typed
from graph360.facts import routing as from_facts
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = [
    "PURCHASE_KINDS",
    "RETENTION",
    "VOID_OUTCOMES",
    "ValueReport",
    "compute_values",
    "quintile_scores",
    "score_values",
    "store_values",
    "update_values",
]

PURCHASE_KINDS = ("purchase",)
VOID_OUTCOMES = ("refunded", "cancelled", "canceled", "voided", "failed")
ACTIVE_STATUSES = ("active",)
PAYING_ROLES = ("owner", "admin")
WINDOW_DAYS = 365
MIN_SPAN_DAYS = 365
MIN_GAP_DAYS = 30
DEFAULT_GAP_DAYS = 365
RETENTION = {5: 0.9, 4: 0.7, 3: 0.5, 2: 0.3, 1: 0.1}
RECENT_RATING_DAYS = 90
POOR_RATING_RISK = 0.5
COMPLAINT_RISK = 0.5

#: The columns :func:`score_values` returns, one row per customer.
SCORE_COLUMNS = [
    "customer_id",
    "purchases_12m",
    "accounts_value",
    "current_value",
    "recency_days",
    "frequency",
    "monetary",
    "r",
    "f",
    "m",
    "per_year",
    "retention",
    "potential_value",
    "gap_days",
    "overdue",
    "poor_rating",
    "open_complaint",
    "at_risk",
]


def quintile_scores(values: pd.Series) -> pd.Series:
    """Scores 1-5 by quintile: ceil(5 x (rank - 1/2) / n), ties sharing their average rank.

    >>> quintile_scores(pd.Series([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quintile_scores(pd.Series([1, 1, 1, 1])).tolist()
    [3, 3, 3, 3]
    """
    if values.empty:
        return pd.Series(dtype="int64", index=values.index)
    rank = values.rank(method="average")
    return np.ceil((rank - 0.5) * 5 / len(values)).clip(1, 5).astype("int64")


def score_values(
    customers: pd.Series,
    purchases: pd.DataFrame,
    holdings: pd.DataFrame,
    ratings: pd.DataFrame,
    complaints: pd.DataFrame,
    as_of: dt.datetime,
) -> pd.DataFrame:
    """Every score of the module docstring, one row per customer in ``customers``.

    ``purchases`` (customer_id, at, value) are purchases already filtered by kind and outcome;
    ``holdings`` (customer_id, account_id, status, value, opened_at, role); ``ratings``
    (customer_id, at, rating, rating_scale); ``complaints`` (customer_id, at, outcome,
    resolution). Rows after ``as_of`` are ignored.
    """
    as_of_day = np.datetime64(as_of, "D")
    who = pd.Series(customers)  # ids, or integer codes (the facts' path)
    who = who if who.dtype.kind in "iu" else who.astype(object)
    out = pd.DataFrame({"customer_id": who.unique()})
    out = out.set_index("customer_id")

    # purchases: current window and RFM over occasions (days with a purchase)
    bought = purchases[purchases["at"] <= as_of]
    recent = bought[bought["at"] > as_of - dt.timedelta(days=WINDOW_DAYS)]
    out["purchases_12m"] = recent.groupby("customer_id")["value"].sum()
    day = bought["at"].to_numpy().astype("datetime64[D]")
    days = (as_of_day - day).astype("int64")  # days before as_of, >= 0
    occasions = (
        pd.DataFrame({"customer_id": bought["customer_id"].to_numpy(), "ago": days})
        .drop_duplicates()
        .groupby("customer_id")["ago"]
        .agg(recency_days="min", first_days="max", frequency="size")
    )
    spent = bought.groupby("customer_id")["value"].sum()
    rfm = occasions.assign(monetary=spent / occasions["frequency"])
    rfm["r"] = quintile_scores(-rfm["recency_days"])
    rfm["f"] = quintile_scores(rfm["frequency"])
    rfm["m"] = quintile_scores(rfm["monetary"])
    rfm["per_year"] = rfm["frequency"] * 365 / np.maximum(rfm["first_days"], MIN_SPAN_DAYS)
    rfm["retention"] = rfm["r"].map(RETENTION)
    repeat = rfm["frequency"] > 1
    own_gap = (rfm["first_days"] - rfm["recency_days"]) / (rfm["frequency"] - 1).where(repeat)
    typical = own_gap[repeat].median() if repeat.any() else DEFAULT_GAP_DAYS
    rfm["gap_days"] = own_gap.fillna(typical).clip(lower=MIN_GAP_DAYS)
    rfm["overdue"] = ((rfm["recency_days"] / rfm["gap_days"] - 1) / 2).clip(0, 1)
    out = out.join(rfm.drop(columns="first_days"))

    # accounts: the customer's share of active accounts' annual value
    out["accounts_value"] = _account_shares(holdings, as_of)

    # signals: recent poor ratings, unresolved complaints
    rated = ratings[
        (ratings["at"] <= as_of) & (ratings["at"] > as_of - dt.timedelta(days=RECENT_RATING_DAYS))
    ]
    poor = rated[poor_rating(rated["rating"], rated["rating_scale"])]
    out["poor_rating"] = out.index.isin(poor["customer_id"])
    filed = complaints[complaints["at"] <= as_of]
    still_open = filed[unresolved(filed["outcome"], filed["resolution"])]
    out["open_complaint"] = out.index.isin(still_open["customer_id"])

    zero = ["purchases_12m", "accounts_value", "frequency", "overdue"]
    out[zero] = out[zero].fillna(0)
    out["frequency"] = out["frequency"].astype("int64")
    for score in ("recency_days", "r", "f", "m"):
        out[score] = out[score].astype("Int64")
    out["current_value"] = out["purchases_12m"] + out["accounts_value"]
    projected = (out["retention"] * out["per_year"] * out["monetary"]).fillna(0.0)
    out["potential_value"] = projected + out["accounts_value"]
    out["at_risk"] = 1 - (1 - out["overdue"]) * np.where(
        out["poor_rating"], 1 - POOR_RATING_RISK, 1.0
    ) * np.where(out["open_complaint"], 1 - COMPLAINT_RISK, 1.0)
    return out.reset_index()[SCORE_COLUMNS]


def _account_shares(holdings: pd.DataFrame, as_of: dt.datetime) -> pd.Series:
    """Per customer: the annual value of their share of active accounts (module docstring)."""
    status = holdings["status"].astype("string").str.strip().str.lower()
    opened = holdings["opened_at"]
    active = holdings[
        status.isin(ACTIVE_STATUSES).fillna(False)
        & (opened.isna() | (opened <= as_of))
        & holdings["value"].notna()
    ]
    role = active["role"].astype("string").str.strip().str.lower()
    paying = role.isin(PAYING_ROLES).fillna(False).astype(float)
    payers = paying.groupby(active["account_id"]).transform("sum")
    holders = active.groupby("account_id")["account_id"].transform("size")
    share = np.where(payers > 0, paying / payers, 1.0 / holders)
    return (active["value"].astype(float) * share).groupby(active["customer_id"]).sum()


def compute_values(
    store: GraphStore, as_of: dt.datetime | None = None, *, use_facts: bool = True
) -> pd.DataFrame:
    """The scores of every customer in the store as of ``as_of`` (nothing is written), from
    the facts projection (``use_facts`` false: from the named queries' multi-hop Cypher)."""
    return _compute(store, as_of or _now(), use_facts)[0]


def _compute(
    store: GraphStore, as_of: dt.datetime, use_facts: bool
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """:func:`compute_values`' scores and the projection's ``as_of`` (None: direct Cypher)."""
    projected = facts_.current(store) if use_facts else None
    purchase_columns = ["customer_id", "at", "value"]
    holding_columns = ["customer_id", "account_id", "status", "value", "opened_at", "role"]
    coded = projected is not None  # customers as codes (ids at the end): cheaper to group
    if projected is not None:
        customers = from_facts.customers(projected, coded=True)
        found = from_facts.purchases(projected, PURCHASE_KINDS, VOID_OUTCOMES, as_of, coded=True)
        purchases = typed(found, purchase_columns, ("at",))
        holding = from_facts.holdings(projected, coded=True)
        holdings = typed(holding, holding_columns, ("opened_at",))
    else:
        customers = projection(store, "value_customers", ["customer_id"])["customer_id"]
        purchases = projection(
            store,
            "value_purchases",
            purchase_columns,
            times=("at",),
            kinds=list(PURCHASE_KINDS),
            void_outcomes=list(VOID_OUTCOMES),
            until=as_of,
        )
        holdings = projection(store, "value_holdings", holding_columns, times=("opened_at",))
    purchases["value"] = purchases["value"].astype(float)
    holdings["value"] = holdings["value"].astype(float)
    complaints = read_complaints(store, None, projected, coded=coded)
    ratings = rated_touchpoints(store, None, projected, coded=coded)
    scores = score_values(customers, purchases, holdings, ratings, complaints, as_of)
    if projected is None:
        return scores, None
    ids = projected.keys("customers")[scores["customer_id"].to_numpy(np.int64)]
    return scores.assign(customer_id=ids), projected.as_of


#: Rows per statement on Neo4j (one transaction for all).
STORE_BATCH = 10_000
_NEO4J_COLUMNS = ("customer_id", "current_value", "potential_value", "at_risk", "value_at")


def store_values(store: GraphStore, scores: pd.DataFrame, as_of: dt.datetime) -> int:
    """Write current_value, potential_value, at_risk and value_at on every scored customer
    by customer id (no other property changes), with the ``value_store`` named query, in one
    transaction. Returns how many customers were written.

    On LadybugDB one ``LOAD FROM`` matched by primary key, as influence's scores (the generic
    upsert first asks which keys exist: 1.2-1.5 s more at a million customers); on Neo4j an
    ``UNWIND`` of :data:`STORE_BATCH` rows at a time."""
    rows = pa.table(
        {
            "k": pa.array(scores["customer_id"].astype(object), pa.string()),
            "v_current": pa.array(scores["current_value"].astype(float), pa.float64()),
            "v_potential": pa.array(scores["potential_value"].astype(float), pa.float64()),
            "v_risk": pa.array(scores["at_risk"].astype(float), pa.float64()),
            "v_at": pa.array(np.full(len(scores), np.datetime64(as_of, "us")), pa.timestamp("us")),
        }
    )
    if rows.num_rows == 0:
        return 0
    with store.atomic():
        if store.backend == "ladybug":
            store.write("value_store", rows=rows)
        else:
            named = rows.rename_columns(list(_NEO4J_COLUMNS))  # map keys: the properties
            for start in range(0, rows.num_rows, STORE_BATCH):
                store.write("value_store", rows=named.slice(start, STORE_BATCH).to_pylist())
    return rows.num_rows


@dataclass
class ValueReport:
    """What ``update_values`` computed and stored, with the top customers by potential."""

    as_of: dt.datetime
    customers: int
    buyers: int
    current_total: float
    potential_total: float
    at_risk_customers: int
    top: list[dict[str, Any]] = field(default_factory=list)
    #: the facts projection's version the graph was read at (None: direct Cypher)
    graph_as_of: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def update_values(
    store: GraphStore, *, as_of: dt.datetime | None = None, top: int = 10, use_facts: bool = True
) -> ValueReport:
    """Compute every customer's value scores, store them, and report the ``top`` customers by
    potential value (with their R/F/M). ``use_facts``: as :func:`compute_values`."""
    as_of = as_of or _now()
    scores, graph_as_of = _compute(store, as_of, use_facts)
    store_values(store, scores, as_of)
    return ValueReport(
        as_of=as_of,
        customers=len(scores),
        buyers=int((scores["frequency"] > 0).sum()),
        current_total=float(scores["current_value"].sum()),
        potential_total=float(scores["potential_value"].sum()),
        at_risk_customers=int((scores["at_risk"] > AT_RISK_THRESHOLD).sum()),
        top=top_customers(store, scores, top),
        graph_as_of=graph_as_of,
    )


def top_customers(store: GraphStore, scores: pd.DataFrame, top: int) -> list[dict[str, Any]]:
    """The ``top`` customers by potential value (ties by customer id), with name and segment."""
    best = scores.sort_values(["potential_value", "customer_id"], ascending=[False, True]).head(top)
    if best.empty:
        return []
    people = store.get_nodes("Customer", pa.array(best["customer_id"].tolist(), pa.string()))
    names = people.select(["customer_id", "name", "segment"]).to_pandas().set_index("customer_id")
    best = best.join(names, on="customer_id")
    columns = [
        "customer_id",
        "name",
        "segment",
        "current_value",
        "potential_value",
        "at_risk",
        "recency_days",
        "frequency",
        "monetary",
        "r",
        "f",
        "m",
    ]
    best = best[columns].astype(object)
    return best.where(best.notna(), None).to_dict("records")


def _now() -> dt.datetime:
    return utc_now()
