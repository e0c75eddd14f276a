"""Are our divisions hitting the same people without sequencing? Overlap, collisions, cross-sell.

A **unit** is a department, or a division (the departments' ``division``; a department with
no division stands alone under its own name). Every measure here is computed for a period
``[since, until)`` (unbounded when not given; a date ``until`` includes its whole day) from
compact projections pulled with the ``overlap_*`` named queries (customer, department, time
rows), then by set algebra in numpy / scipy sparse: no loop over customers or touchpoints.

Definitions
-----------
**Reached.** A unit reached a customer in the period when

- a campaign the unit runs targets the customer (``(Campaign)-[:RUN_BY]->(Department)``,
  ``(Campaign)-[:TARGETS]->(Customer)``), the target placed in time by its ``added_at``, or by
  the campaign's ``started_at`` when ``added_at`` is empty; a target with neither date counts
  only when no period is asked for (it cannot be placed in one); or
- the customer had a touchpoint in the period (by ``at``) that the unit handled
  (``HANDLED_BY``) or that came from a campaign the unit runs (``FROM_CAMPAIGN``), unless the
  touchpoint did not reach anyone: kind ``bounce`` or outcome ``no_answer``
  (:data:`NOT_REACHED_KINDS`, :data:`NOT_REACHED_OUTCOMES`).

**Overlap.** For every pair of units A, B: the customers each reached, ``both`` = |A∩B|, the
Jaccard index both / (|A| + |B| - both) and the overlap coefficient both / min(|A|, |B|)
(``None`` when the denominator is 0), all from the incidence matrix R (customers by units):
the pairwise intersections are RᵀR. The **exclusive intersections**
(UpSet-style): for every combination of units, the customers reached by exactly that
combination and no other unit; every non-empty one, largest first.

**Contact.** A touchpoint that reached the person (as above) at its time ``at``, made by one
unit: the department that handled it, or, when no department handled it, the department
running its campaign. Being on a distribution list is *not* a contact (nothing reached the
person yet; the e-mail sent from the list is). Customer-initiated touchpoints a unit handled
(a support ticket, a reply) are contacts too: offering a sale to someone with a ticket open in
another unit is exactly the kind of clash to see.

**Contact collision.** A customer contacted by two different units at most ``window_hours``
apart (inclusive: 48 h apart collides, 48 h and one second does not). Per unit pair: the
colliding customers, how often each unit came first in the pair's closest encounter, and the
median closest gap. **Worst offenders**: customers ranked by the most distinct units inside
any window of that length, then the most contacts inside it; with that window's contacts.

**Suggested sequence.** For each colliding pair, one goes first and the other waits at least
the window. The first is the unit whose contacts get the clearly better **response rate**:
the share of its contacts in the period followed by a purchase of the same customer within
:data:`RESPONSE_DAYS` days (a purchase: kind ``purchase``, value > 0, outcome not cancelled,
refunded or voided); "clearly" means a two-proportion z-test at the 5% level (|z| >= 1.96),
so noise does not decide. Otherwise (no clear difference, no purchases at all) the unit that
usually came first in the pair's collisions goes first, keeping the habit but adding the
gap; then the unit name.

**Cross-sell candidates.** A unit's **buyers** are the customers who, before ``until``, held
an account the unit manages (``HOLDS``/``MANAGED_BY``) or made a purchase the unit handled or
that came from its campaign. A customer's **profile** is their (segment, persona, region)
cell. The unit's buyer rate in a cell, shrunk towards its overall buyer rate as if the cell
held :data:`PRIOR_CUSTOMERS` more customers buying at the overall rate, divided by the overall
rate, is the cell's **lift**; rates are over every customer in the graph, and an empty
property is a value of its own, ``(unknown)``. Candidates for unit U: customers reached in
the period by some other unit, who have not bought from U, whose cell's lift for U is above
``min_lift``; ranked by lift, then by their contacts in the period, then id. (Account holding
is what makes most buyers: in the demo, shop orders name no department, so only Retail Sales,
Business Sales and Magazines, which manage accounts, have buyers.)

**Consent.** The suggested sequence leaves out the colliding customers who refused e-mail
marketing, and the cross-sell candidates those who refused e-mail marketing or profiling
(:data:`graph360.consent.SUGGESTION_PURPOSES`); each answer says how many it left out
(``left_out_by_consent``). The pairs, intersections and offenders are facts, not suggestions:
they count everyone.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from graph360 import consent
from graph360 import facts as facts_
from graph360.facts import overlap as from_facts
from graph360.store.base import GraphStore

__all__ = [
    "NOT_REACHED_KINDS",
    "NOT_REACHED_OUTCOMES",
    "PRIOR_CUSTOMERS",
    "PROFILE",
    "RESPONSE_DAYS",
    "VOID_OUTCOMES",
    "Collisions",
    "OverlapReport",
    "Reach",
    "Units",
    "contact_collisions",
    "cross_sell_candidates",
    "exclusive_intersections",
    "overlap_report",
    "pairwise_overlap",
    "parse_when",
    "reach",
    "units",
]

By = Literal["department", "division"]

#: Touchpoint kinds and outcomes that never reached the person: neither reach nor contact.
NOT_REACHED_KINDS = ("bounce",)
NOT_REACHED_OUTCOMES = ("no_answer",)
#: Purchase outcomes that undo the purchase.
VOID_OUTCOMES = ("cancelled", "refunded", "voided")
#: A contact got a response when the customer bought within this many days after it.
RESPONSE_DAYS = 7
#: Cross-sell: a profile cell's buyer rate is shrunk towards the overall rate by this many
#: pseudo-customers, so a cell of three customers cannot claim a lift of 30.
PRIOR_CUSTOMERS = 20
#: A response rate is clearly better when the two-proportion z statistic reaches this (5%).
Z_95 = 1.96
#: Cross-sell: the customer properties whose combination is a profile cell.
PROFILE = ("segment", "persona", "region")

#: Bounds that stand for "no bound" (valid timestamps on both backends).
NO_START = dt.datetime(1, 1, 1)
NO_END = dt.datetime(9999, 12, 31)
UNKNOWN = "(unknown)"
#: A list that matches no value (an empty list parameter has no type to infer on LadybugDB).
_NOTHING = ["<graph360: no value>"]


def _reader(store: GraphStore | from_facts.Reader, use_facts: bool) -> Any:
    """What the measures read through: the facts projection at the graph's current version
    (rebuilt first when stale), or, with ``use_facts`` false, the store's multi-hop named
    queries (the direct path the property tests compare the projection with)."""
    if isinstance(store, from_facts.Reader) or not use_facts:
        return store
    return from_facts.Reader(store, facts_.current(store))


def _as_of(reader: Any) -> dict[str, Any] | None:
    return reader.facts.as_of if isinstance(reader, from_facts.Reader) else None


# --- periods ---------------------------------------------------------------------------------


def parse_when(text: str | None) -> dt.date | dt.datetime | None:
    """A period bound as typed: ``2026-09-07`` is a date, ``2026-09-07T10:00`` a moment.

    Offsets are converted to UTC and dropped (the store keeps naive UTC / local wall time).
    Raises ValueError for anything else.
    """
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _bounds(
    since: dt.date | dt.datetime | None, until: dt.date | dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """The half-open period [start, end): a date ``until`` includes that whole day."""
    start = NO_START if since is None else _moment(since)
    if until is None:
        end = NO_END
    elif isinstance(until, dt.datetime):
        end = until
    else:
        end = _moment(until) + dt.timedelta(days=1)
    return start, end


def _moment(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


# --- units -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Units:
    """The units to count by, in a stable order, and which unit each department folds into."""

    by: str
    ids: list[str]
    names: list[str]
    of_department: dict[str, str]

    @property
    def index(self) -> dict[str, int]:
        return {unit: i for i, unit in enumerate(self.ids)}

    def codes(self, department_ids: pd.Series) -> np.ndarray:
        """The unit index of each department id (-1 for a department not in the store)."""
        index = self.index
        found, distinct = pd.factorize(department_ids)  # a handful of distinct ids
        lookup = np.array(
            [index[self.of_department[d]] if d in self.of_department else -1 for d in distinct]
            + [-1],  # factorize marks a missing id -1: the last entry
            dtype=np.int64,
        )
        return lookup[found]


def units(store: GraphStore, by: By = "department", *, use_facts: bool = True) -> Units:
    """The units of ``by``: every department (by id), or every division.

    Divisions are named by the departments' ``division``; a department with none is a unit of
    its own under its name, so folding never lumps unrelated departments together.
    """
    if by not in ("department", "division"):
        raise ValueError(f"by must be 'department' or 'division', not {by!r}")
    store = _reader(store, use_facts)
    frame = _frame(store, "overlap_units", ["department_id", "name", "division"])
    name = frame["name"].where(frame["name"].notna() & (frame["name"] != ""), frame.department_id)
    if by == "department":
        return Units(
            by,
            frame.department_id.tolist(),
            name.tolist(),
            dict(zip(frame.department_id, frame.department_id, strict=True)),
        )
    division = frame["division"].where(frame["division"].notna() & (frame["division"] != ""), name)
    ids = sorted(set(division))
    return Units(by, ids, ids, dict(zip(frame.department_id, division, strict=True)))


# --- reach and overlap -----------------------------------------------------------------------


@dataclass
class Reach:
    """Who each unit reached: ``matrix[i, j]`` is 1 when unit j reached ``customers[i]``."""

    units: Units
    customers: np.ndarray
    matrix: sparse.csr_matrix
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    #: The graph version the answer reflects (None: read straight from the store).
    as_of: dict[str, Any] | None = None

    @property
    def sizes(self) -> np.ndarray:
        return np.asarray(self.matrix.sum(axis=0)).ravel().astype(np.int64)


def reach(
    store: GraphStore,
    *,
    by: By = "department",
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    use_facts: bool = True,
) -> Reach:
    """The customers each unit reached in the period (campaign targets and touchpoints)."""
    reader = _reader(store, use_facts)
    reached = _reach(_project(reader, by, since, until))
    reached.as_of = _as_of(reader)
    return reached


def pairwise_overlap(reached: Reach) -> list[dict[str, Any]]:
    """Every pair of units: sizes, intersection, union, Jaccard and overlap coefficient.

    Ordered by the intersection, largest first, then by the units' order.
    """
    counts = (reached.matrix.T @ reached.matrix).toarray().astype(np.int64)
    sizes = np.diag(counts)
    ids, names = reached.units.ids, reached.units.names
    rows = []
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            both = int(counts[a, b])
            union = int(sizes[a] + sizes[b] - both)
            smaller = int(min(sizes[a], sizes[b]))
            rows.append(
                {
                    "unit_a": ids[a],
                    "unit_b": ids[b],
                    "name_a": names[a],
                    "name_b": names[b],
                    "customers_a": int(sizes[a]),
                    "customers_b": int(sizes[b]),
                    "both": both,
                    "union": union,
                    "jaccard": both / union if union else None,
                    "overlap": both / smaller if smaller else None,
                }
            )
    order = {(r["unit_a"], r["unit_b"]): i for i, r in enumerate(rows)}
    return sorted(rows, key=lambda r: (-r["both"], order[(r["unit_a"], r["unit_b"])]))


def exclusive_intersections(reached: Reach) -> list[dict[str, Any]]:
    """Every non-empty exclusive intersection: customers reached by exactly these units.

    The counts add up to the number of customers reached at all. Largest first; ties by
    fewer units, then the units' order.
    """
    matrix = reached.matrix
    k = len(reached.units.ids)
    if matrix.shape[0] == 0:
        return []
    if k <= 62:
        # Each customer's combination as one integer (bit j = unit j): a plain integer count.
        bits = matrix.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
        masks, counts = np.unique(bits, return_counts=True)
        combos = (masks[:, None] >> np.arange(k, dtype=np.int64)) & 1
    else:
        combos, counts = np.unique(matrix.toarray().astype(bool), axis=0, return_counts=True)
    total = int(counts.sum())
    rows = []
    for combo, count in zip(combos, counts, strict=True):
        members = [int(j) for j in np.flatnonzero(combo)]
        if not members:
            continue
        rows.append(
            {
                "units": [reached.units.ids[j] for j in members],
                "names": [reached.units.names[j] for j in members],
                "degree": len(members),
                "customers": int(count),
                "share": int(count) / total,
                "_key": tuple(members),
            }
        )
    rows.sort(key=lambda r: (-r["customers"], r["degree"], r["_key"]))
    for row in rows:
        del row["_key"]
    return rows


# --- collisions ------------------------------------------------------------------------------


@dataclass
class Collisions:
    """Contact collisions in a window, per unit pair, the worst-hit customers and the advice."""

    window_hours: float
    customers: int
    contacts: int
    pairs: list[dict[str, Any]] = field(default_factory=list)
    offenders: list[dict[str, Any]] = field(default_factory=list)
    sequence: list[dict[str, Any]] = field(default_factory=list)
    response: list[dict[str, Any]] = field(default_factory=list)
    #: The colliding customers the suggested sequence leaves out: they refused e-mail
    #: marketing (graph360.consent); ``pairs`` still count them, as facts.
    left_out_by_consent: dict[str, Any] = field(default_factory=dict)


def contact_collisions(
    store: GraphStore,
    *,
    by: By = "department",
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    window_hours: float = 48,
    top: int = 10,
    use_facts: bool = True,
) -> Collisions:
    """Customers contacted by two or more units within ``window_hours`` of each other.

    See the module docstring for contact, collision, offender and sequence definitions.
    """
    store = _reader(store, use_facts)
    projection = _project(store, by, since, until, targets=False)
    return _collisions(store, projection, window_hours, top)


def _collisions(
    store: GraphStore, projection: _Projection, window_hours: float, top: int
) -> Collisions:
    if window_hours < 0:
        raise ValueError("window_hours must not be negative")
    window = round(window_hours * 3600)
    chosen = projection.units
    k = len(chosen.ids)
    customer_ids = projection.customers
    cust, unit, secs = projection.contact_cust, projection.contact_unit, projection.contact_secs
    n = len(unit)
    result = Collisions(window_hours=window_hours, customers=0, contacts=n)
    if n == 0:
        result.left_out_by_consent = consent.refusals(store, "collision_sequence").note(0)
        return result
    order = np.lexsort((unit, secs, cust))
    cust, unit, secs = cust[order], unit[order], secs[order]
    # Contacts of one customer become one run of ascending keys; a window never spans two.
    stride = int(secs.max() - secs.min()) + window + 1
    key = cust.astype(np.int64) * stride + (secs - secs.min())

    positions = np.arange(n, dtype=np.int64)
    units_in_window = np.zeros(n, dtype=np.int64)
    hit_at, hit_other, hit_gap = [], [], []
    for u in range(k):
        # The next contact of unit u at or after each position (n when there is none) ...
        nxt = np.minimum.accumulate(np.where(unit == u, positions, n)[::-1])[::-1]
        safe = np.minimum(nxt, n - 1)
        # ... counts only when it belongs to the same customer and falls inside the window.
        gap = secs[safe] - secs
        inside = (nxt < n) & (cust[safe] == cust) & (gap <= window)
        units_in_window += inside
        hit = inside & (unit != u)
        hit_at.append(positions[hit])
        hit_other.append(np.full(int(hit.sum()), u, dtype=np.int64))
        hit_gap.append(gap[hit])
    first_pos = np.concatenate(hit_at)
    hits = pd.DataFrame(
        {
            "cust": cust[first_pos],
            "first": unit[first_pos],
            "second": np.concatenate(hit_other),
            "gap": np.concatenate(hit_gap),
        }
    )
    hits["a"] = np.minimum(hits["first"], hits["second"])
    hits["b"] = np.maximum(hits["first"], hits["second"])
    closest = hits.sort_values(["gap", "first"], kind="stable").drop_duplicates(["cust", "a", "b"])
    result.customers = int(closest["cust"].nunique())

    response = _response_rates(store, projection, cust, unit, secs)
    result.response = [
        {
            "unit": chosen.ids[u],
            "name": chosen.names[u],
            "contacts": int(response["contacts"][u]),
            "responded": int(response["responded"][u]),
            "response_rate": _ratio(response["responded"][u], response["contacts"][u]),
        }
        for u in range(k)
    ]
    result.pairs = _collision_pairs(chosen, closest)
    refused = consent.refusals(store, "collision_sequence")
    out = refused.mask(customer_ids[closest["cust"].to_numpy()])
    sequenced = _collision_pairs(chosen, closest[~out])
    result.sequence = _sequence(chosen, sequenced, result.response, window_hours)
    result.left_out_by_consent = refused.note(closest["cust"][out].nunique())

    contacts_in_window = np.searchsorted(key, key + window, side="right") - positions
    result.offenders = _offenders(
        store,
        chosen,
        customer_ids,
        cust,
        unit,
        secs,
        units_in_window,
        contacts_in_window,
        top,
    )
    return result


def _collision_pairs(chosen: Units, closest: pd.DataFrame) -> list[dict[str, Any]]:
    if closest.empty:
        return []
    closest = closest.assign(a_first=closest["first"] == closest["a"])
    grouped = closest.groupby(["a", "b"]).agg(
        customers=("cust", "size"),
        a_first=("a_first", "sum"),
        median_gap=("gap", "median"),
    )
    rows = [
        {
            "unit_a": chosen.ids[a],
            "unit_b": chosen.ids[b],
            "name_a": chosen.names[a],
            "name_b": chosen.names[b],
            "customers": int(g.customers),
            "a_first": int(g.a_first),
            "b_first": int(g.customers - g.a_first),
            "median_gap_hours": round(float(g.median_gap) / 3600, 2),
        }
        for (a, b), g in grouped.iterrows()
    ]
    return sorted(rows, key=lambda r: (-r["customers"], r["unit_a"], r["unit_b"]))


def _sequence(
    chosen: Units,
    pairs: list[dict[str, Any]],
    response: list[dict[str, Any]],
    window_hours: float,
) -> list[dict[str, Any]]:
    """One piece of advice per colliding pair: who goes first, and the minimum gap.

    The unit whose contacts got a clearly better response goes first ("clearly": a
    two-proportion z-test at the 5% level, |z| >= 1.96); otherwise the unit that came first
    more often in the pair's collisions; otherwise the unit name.
    """
    stats = {r["unit"]: (r["responded"], r["contacts"]) for r in response}
    name = dict(zip(chosen.ids, chosen.names, strict=True))
    hours = f"{window_hours:g} h"
    advice = []
    for pair in pairs:
        a, b = pair["unit_a"], pair["unit_b"]
        z = _z(*stats[a], *stats[b])
        rate = {u: _ratio(*stats[u]) or 0.0 for u in (a, b)}
        if abs(z) >= Z_95:
            first, then = (a, b) if z > 0 else (b, a)
            rule = "better response"
            why = (
                f"contacts from {name[first]} were followed by a purchase within "
                f"{RESPONSE_DAYS} days {rate[first]:.1%} of the time, from {name[then]} "
                f"{rate[then]:.1%}"
            )
        else:
            leads = {a: pair["a_first"], b: pair["b_first"]}
            if leads[a] != leads[b]:
                first, then = (a, b) if leads[a] > leads[b] else (b, a)
            else:
                first, then = sorted((a, b), key=lambda u: (name[u], u))
            rule = "usual order"
            why = (
                f"no clear difference in response ({rate[a]:.1%} vs {rate[b]:.1%}); "
                f"{name[first]} came first for {leads[first]} of {pair['customers']}"
            )
        advice.append(
            {
                "first": first,
                "then": then,
                "name_first": name[first],
                "name_then": name[then],
                "min_gap_hours": window_hours,
                "customers": pair["customers"],
                "rule": rule,
                "reason": why,
                "advice": (
                    f"{name[first]} then {name[then]}, at least {hours} apart: "
                    f"{_people(pair['customers'])} hit by both within {hours}"
                ),
            }
        )
    return advice


def _z(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """Two-proportion z statistic of rate a minus rate b (0 when it cannot be told)."""
    if not n_a or not n_b:
        return 0.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return (hits_a / n_a - hits_b / n_b) / spread if spread else 0.0


def _response_rates(
    store: GraphStore,
    projection: _Projection,
    cust: np.ndarray,
    unit: np.ndarray,
    secs: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per unit: contacts, and those followed by the customer's purchase within RESPONSE_DAYS."""
    k = len(projection.units.ids)
    start = projection.start
    end = min(projection.end, NO_END - dt.timedelta(days=RESPONSE_DAYS))
    end += dt.timedelta(days=RESPONSE_DAYS)
    if isinstance(store, from_facts.Reader):  # customer codes already: no id lookups
        pcust, pmicros = from_facts.purchase_codes(store.facts, start, end, list(VOID_OUTCOMES))
        psecs = np.floor_divide(pmicros, 1_000_000)
    else:
        bought = _frame(
            store,
            "overlap_purchases",
            ["customer_id", "at"],
            since=start,
            until=end,
            void_outcomes=list(VOID_OUTCOMES),
        )
        pcust = pd.Index(projection.customers).get_indexer(bought["customer_id"])
        psecs = _seconds(bought["at"])
    contacts = np.bincount(unit, minlength=k)
    responded = np.zeros(k, dtype=np.int64)
    known = pcust >= 0
    if known.any():
        pcust, psecs = pcust[known], psecs[known]
        order = np.lexsort((psecs, pcust))
        pcust, psecs = pcust[order], psecs[order]
        low = min(int(secs.min()), int(psecs.min()))
        stride = max(int(secs.max()), int(psecs.max())) - low + 1
        pkey = pcust.astype(np.int64) * stride + (psecs - low)
        ckey = cust.astype(np.int64) * stride + (secs - low)
        nxt = np.searchsorted(pkey, ckey, side="right")  # first purchase strictly after
        safe = np.minimum(nxt, len(pkey) - 1)
        ok = (
            (nxt < len(pkey))
            & (pcust[safe] == cust)
            & (psecs[safe] - secs <= RESPONSE_DAYS * 86400)
        )
        responded = np.bincount(unit[ok], minlength=k)
    return {"contacts": contacts, "responded": responded}


def _offenders(
    store: GraphStore,
    chosen: Units,
    customer_ids: np.ndarray,
    cust: np.ndarray,
    unit: np.ndarray,
    secs: np.ndarray,
    units_in_window: np.ndarray,
    contacts_in_window: np.ndarray,
    top: int,
) -> list[dict[str, Any]]:
    """The customers with the most units (then contacts) inside one window, with that window."""
    starts = np.flatnonzero(units_in_window >= 2)
    if not len(starts) or top <= 0:
        return []
    # Best window per customer: most units, then most contacts, then earliest.
    frame = pd.DataFrame(
        {
            "pos": starts,
            "cust": cust[starts],
            "units": units_in_window[starts],
            "contacts": contacts_in_window[starts],
            "id": customer_ids[cust[starts]],
        }
    )
    best = (
        frame.sort_values(["units", "contacts", "id", "pos"], ascending=[False, False, True, True])
        .drop_duplicates("cust")
        .head(top)
    )
    names = _names(store, best["id"].tolist())
    rows = []
    for pos, n_units, n_contacts, customer_id in best[
        ["pos", "units", "contacts", "id"]
    ].itertuples(index=False):
        window = slice(pos, pos + n_contacts)
        timeline = [
            {"at": _to_datetime(t), "unit": chosen.ids[u], "name": chosen.names[u]}
            for t, u in zip(secs[window], unit[window], strict=True)
        ]
        rows.append(
            {
                "customer_id": customer_id,
                "name": names.get(customer_id),
                "units": int(n_units),
                "contacts": int(n_contacts),
                "window_start": timeline[0]["at"],
                "window_end": timeline[-1]["at"],
                "unit_names": list(dict.fromkeys(t["name"] for t in timeline)),
                "timeline": timeline,
            }
        )
    return rows


# --- cross-sell ------------------------------------------------------------------------------


def cross_sell_candidates(
    store: GraphStore,
    *,
    by: By = "department",
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    top: int = 10,
    min_lift: float = 1.0,
    profile: tuple[str, ...] = PROFILE,
    prior: float = PRIOR_CUSTOMERS,
    use_facts: bool = True,
) -> list[dict[str, Any]]:
    """Per unit, the best ``top`` customers active elsewhere who look like its buyers.

    See the module docstring for buyers, profile cells and lift.
    """
    store = _reader(store, use_facts)
    projection = _project(store, by, since, until)
    return _cross_sell(store, projection, top, min_lift, profile, prior)


def _cross_sell(
    store: GraphStore,
    projection: _Projection,
    top: int,
    min_lift: float,
    profile: tuple[str, ...],
    prior: float,
    left_out: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The candidates (see :func:`cross_sell_candidates`); ``left_out``, when given, is filled
    with how many people consent left out (graph360.consent: refused e-mail marketing or
    profiling) who would have been candidates for some unit."""
    left_out = {} if left_out is None else left_out
    unknown = set(profile) - set(PROFILE)
    if unknown or not profile:
        raise ValueError(f"profile properties must be among {PROFILE}, not {sorted(unknown)}")
    chosen = projection.units
    k = len(chosen.ids)
    people = _frame(store, "overlap_profiles", ["customer_id", *PROFILE])
    refused = consent.refusals(store, "cross_sell")
    left_out.update(refused.note(0))
    if people.empty or k == 0 or top <= 0:
        return []
    ids = people["customer_id"].to_numpy(dtype=object)
    index = pd.Index(ids)
    n = len(ids)
    values = people[list(profile)].astype(object)
    values = values.where(values.notna() & (values != ""), UNKNOWN)
    cell, cells = pd.MultiIndex.from_frame(values).factorize()
    cell_size = np.bincount(cell, minlength=len(cells))

    buyers = _frame(
        store,
        "overlap_buyers",
        ["customer_id", "department_id"],
        until=projection.end,
        void_outcomes=list(VOID_OUTCOMES),
    )
    brow = index.get_indexer(buyers["customer_id"])
    bcol = chosen.codes(buyers["department_id"])
    ok = (brow >= 0) & (bcol >= 0)
    bought = np.zeros((n, k), dtype=bool)
    bought[brow[ok], bcol[ok]] = True

    # Who is active with which units in the period, and how many contacts they had.
    if isinstance(store, from_facts.Reader):  # the same customers in the same order
        row_of = np.arange(len(projection.customers))
    else:
        row_of = index.get_indexer(projection.customers)
    rows_reached = row_of[projection.reach_cust]
    known = rows_reached >= 0
    active = np.zeros((n, k), dtype=bool)
    active[rows_reached[known], projection.reach_unit[known]] = True
    contacted = row_of[projection.contact_cust]
    activity = np.bincount(contacted[contacted >= 0], minlength=n)

    excluded = refused.mask(ids)
    skipped = np.zeros(n, dtype=bool)  # refused people who would have been candidates
    found: list[pd.DataFrame] = []
    for u in range(k):
        total = int(bought[:, u].sum())
        if total == 0:
            continue
        base = total / n
        in_cell = np.bincount(cell, weights=bought[:, u], minlength=len(cells))
        rate = (in_cell + prior * base) / (cell_size + prior)
        lift = rate / base
        elsewhere = np.delete(active, u, axis=1).any(axis=1)
        qualified = elsewhere & ~bought[:, u] & (lift[cell] > min_lift)
        skipped |= qualified & excluded
        rows = np.flatnonzero(qualified & ~excluded)
        if not len(rows):
            continue
        rows = _best(rows, lift[cell[rows]], activity[rows], ids, top)
        found.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "unit": u,
                    "lift": lift[cell[rows]],
                    "rate": rate[cell[rows]],
                    "base": base,
                    "cell_buyers": in_cell[cell[rows]].astype(np.int64),
                    "cell_customers": cell_size[cell[rows]],
                    "activity": activity[rows],
                }
            )
        )
    left_out.update(refused.note(int(skipped.sum())))
    if not found:
        return []
    chosen_rows = pd.concat(found, ignore_index=True)
    names = _names(store, sorted({ids[r] for r in chosen_rows["row"]}))
    out = []
    for r in chosen_rows.itertuples(index=False):
        where = dict(zip(profile, cells[cell[r.row]], strict=True))
        with_units = [chosen.names[j] for j in np.flatnonzero(active[r.row]) if j != r.unit]
        label = ", ".join(f"{key}={value}" for key, value in where.items())
        unit_name = chosen.names[r.unit]
        customer_id = ids[r.row]
        out.append(
            {
                "unit": chosen.ids[r.unit],
                "unit_name": unit_name,
                "customer_id": customer_id,
                "name": names.get(customer_id),
                **{key: where.get(key) for key in PROFILE},
                "active_with": with_units,
                "contacts": int(r.activity),
                "profile_customers": int(r.cell_customers),
                "profile_buyers": int(r.cell_buyers),
                "profile_rate": float(r.rate),
                "base_rate": float(r.base),
                "lift": float(r.lift),
                "reason": (
                    f"{label}: {r.cell_buyers} of {r.cell_customers} such customers bought "
                    f"from {unit_name}, {r.base:.1%} of all customers did (lift {r.lift:.2f}); "
                    f"active with {', '.join(with_units)}"
                ),
            }
        )
    return out


def _best(
    rows: np.ndarray, lift: np.ndarray, activity: np.ndarray, ids: np.ndarray, top: int
) -> np.ndarray:
    """The ``top`` rows by lift, then activity (both descending), then customer id.

    Sorting by number first and comparing ids only among the rows tied at the cut keeps this
    cheap when a million customers qualify.
    """
    order = np.lexsort((-activity, -lift))
    if len(order) > top:
        cut = order[top - 1]
        tied = (lift > lift[cut]) | ((lift == lift[cut]) & (activity >= activity[cut]))
        order = np.flatnonzero(tied)
    frame = pd.DataFrame({"i": order, "lift": lift[order], "act": activity[order]})
    frame["id"] = ids[rows[order]]
    frame = frame.sort_values(["lift", "act", "id"], ascending=[False, False, True]).head(top)
    return rows[frame["i"].to_numpy()]


# --- the whole report ------------------------------------------------------------------------


@dataclass
class OverlapReport:
    """Everything ``graph360 overlap`` shows, as plain data."""

    by: str
    since: dt.datetime | None
    until: dt.datetime | None
    window_hours: float
    units: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    intersections: list[dict[str, Any]]
    collisions: Collisions
    cross_sell: list[dict[str, Any]]
    #: The graph version the answer reflects (None: read straight from the store).
    as_of: dict[str, Any] | None = None
    #: How many people consent left out of the cross-sell candidates (graph360.consent).
    cross_sell_left_out_by_consent: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def overlap_report(
    store: GraphStore,
    *,
    by: By = "department",
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    window_hours: float = 48,
    top: int = 10,
    min_lift: float = 1.0,
    use_facts: bool = True,
) -> OverlapReport:
    """Overlap, intersections, collisions and cross-sell from one pull of the projections.

    ``since`` / ``until`` are period bounds: a date includes its whole day; a datetime
    ``until`` is exclusive. ``top`` limits the worst offenders and the cross-sell candidates
    per unit; pairs and intersections are always complete. ``use_facts`` false reads the store
    with multi-hop Cypher instead of the facts projection (same answers, much slower at scale).
    """
    store = _reader(store, use_facts)
    projection = _project(store, by, since, until)
    chosen = projection.units
    k = len(chosen.ids)
    reached = _reach(projection)
    contacts = np.bincount(projection.contact_unit, minlength=k)
    contacted = (
        pd.DataFrame({"c": projection.contact_cust, "u": projection.contact_unit})
        .drop_duplicates()
        .groupby("u")
        .size()
        .reindex(range(k), fill_value=0)
        .to_numpy()
    )
    sizes = reached.sizes
    left_out: dict[str, Any] = {}
    cross_sell = _cross_sell(store, projection, top, min_lift, PROFILE, PRIOR_CUSTOMERS, left_out)
    summary = [
        {
            "unit": chosen.ids[u],
            "name": chosen.names[u],
            "reached": int(sizes[u]),
            "contacted": int(contacted[u]),
            "contacts": int(contacts[u]),
        }
        for u in range(k)
    ]
    return OverlapReport(
        by=by,
        since=projection.since,
        until=projection.until,
        window_hours=window_hours,
        units=summary,
        pairs=pairwise_overlap(reached),
        intersections=exclusive_intersections(reached),
        collisions=_collisions(store, projection, window_hours, top),
        cross_sell=cross_sell,
        as_of=_as_of(store),
        cross_sell_left_out_by_consent=left_out,
    )


# --- projections -----------------------------------------------------------------------------


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
    facts: facts_.Facts,
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
    touched = from_facts.touchpoints(
        facts,
        start,
        end,
        list(NOT_REACHED_KINDS) or _NOTHING,
        list(NOT_REACHED_OUTCOMES) or _NOTHING,
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


def _reach(projection: _Projection) -> Reach:
    k = len(projection.units.ids)
    present, rows = np.unique(projection.reach_cust, return_inverse=True)
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, projection.reach_unit)),
        shape=(len(present), k),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1  # (customer, unit) pairs reached several ways count once
    return Reach(
        projection.units,
        projection.customers[present],
        matrix,
        since=projection.since,
        until=projection.until,
    )


def _frame(store: GraphStore, name: str, columns: list[str], **params: Any) -> pd.DataFrame:
    """A named projection with its columns even when empty (a server returns no header)."""
    frame = store.frame(name, **params)
    return frame.reindex(columns=columns)


def _names(store: GraphStore, customer_ids: list[str]) -> dict[str, str | None]:
    if not customer_ids:
        return {}
    rows = store.query("overlap_customer_names", customer_ids=list(customer_ids))
    return {r["customer_id"]: r["name"] for r in rows}


def _seconds(at: pd.Series) -> np.ndarray:
    return pd.to_datetime(at).to_numpy().astype("datetime64[s]").astype(np.int64)


def _to_datetime(seconds: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(seconds))


def _people(n: int) -> str:
    return "1 customer was" if n == 1 else f"{n:,} customers were"


def _ratio(part: float, whole: float) -> float | None:
    return float(part) / float(whole) if whole else None
