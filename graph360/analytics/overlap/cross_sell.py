"""Cross-sell candidates: lift per profile cell, shrunk towards each unit's overall rate
(see the package's docstring for the definitions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from graph360 import consent
from graph360.analytics.overlap.base import (
    PRIOR_CUSTOMERS,
    PROFILE,
    UNKNOWN,
    VOID_OUTCOMES,
    By,
    _frame,
    _names,
    _reader,
)
from graph360.analytics.overlap.projection import _project, _Projection
from graph360.facts import overlap as from_facts
from graph360.store.base import GraphStore


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
