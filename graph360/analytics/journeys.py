"""Journeys: where the journey breaks down — the funnel per step and the paths people take.

Everything is computed in pandas from one compact projection, the named query
``journey_touchpoints`` — (customer, step, time) for every touchpoint at the journey's steps —
grouped into one row per (customer, step) with the customer's first and last time there
(:func:`customer_steps`). The same projection gives the ownership audit its "stuck" customers
(:func:`current_steps`).

Definitions (per journey, over the touchpoints in ``[since, until)``):

- A customer **reaches** a step when they had at least one touchpoint at it; their time there is
  that of their *first* touchpoint at it.
- Steps are taken in position order (ties by step id); the *previous* step of step k is the one
  before it in that order.
- **Conversion** into step k = customers who reached step k *and* step k-1 (in any order) /
  customers who reached step k-1. The first step has none.
- **Out of order** at step k: customers who reached step k but never step k-1
  (``without_previous``), plus customers who reached both but got to step k before step k-1
  (``before_previous``: first time at k earlier than first time at k-1). Equal times are in
  order.
- **Median time** into step k: the median, over customers who reached step k-1 and then step k
  in order, of (first time at k) - (first time at k-1).
- **Drop-off** at step k: customers whose furthest step (highest position reached; ties by step
  id) is step k. At the last step this is the customers who completed the journey.
- A customer's **path** is the sequence of the distinct steps they reached, ordered by their
  first time at each (ties by position): repeats collapse into the first visit. A path is
  **in order** when its positions never go down; a path that misses steps between its first
  and last is still in order (it ``skips``). The most common paths are counted in customers;
  equal counts list the shorter path first, then the one whose steps come earlier in the
  journey.

A customer who appears in none of the journey's steps in the window is not in the funnel;
``out_of_order_customers`` counts the customers whose path is not in order.

**One persona at a time**: with ``persona`` and/or ``segment`` every figure, the mood
included, is over those customers' touchpoints only (the facts projection restricted to them:
``graph360.facts.people``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graph360 import facts as facts_
from graph360.analytics.mood import StepMood, step_moods
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.facts.people import People
from graph360.facts.tables import NO_TIME, Facts, micros
from graph360.store.base import GraphStore

__all__ = [
    "EARLIEST",
    "LATEST",
    "Funnel",
    "FunnelStep",
    "JourneyPath",
    "current_steps",
    "customer_steps",
    "funnel_from_projection",
    "journey_funnel",
    "journey_steps",
]

#: Time bounds that stand for "no bound" (the queries always take both; pandas' datetime
#: range ends in 2262).
EARLIEST = dt.datetime(1900, 1, 1)
LATEST = dt.datetime(2262, 1, 1)

_STEP_COLUMNS = ["journey_id", "journey", "step_id", "step", "stage", "position"]
_PROJECTION = [
    "journey_id",
    "customer_id",
    "step_id",
    "position",
    "first_at",
    "last_at",
    "touchpoints",
]


@dataclass
class FunnelStep:
    """One step of the funnel (see the module docstring for each measure's definition)."""

    step_id: str
    step: str | None
    position: int
    owners: list[str]
    customers: int
    from_previous: int | None
    conversion: float | None
    without_previous: int | None
    before_previous: int | None
    out_of_order: int | None
    median_seconds: float | None
    drop_off: int
    drop_off_rate: float | None
    #: How people rated and sounded at the step (graph360.analytics.mood); None: no rating
    #: and no voice there in the period.
    mood: StepMood | None = None


@dataclass
class JourneyPath:
    """One actual path: the distinct steps in the order the customers first reached them."""

    steps: list[str]
    customers: int
    share: float
    in_order: bool
    skips: bool


@dataclass
class Funnel:
    journey_id: str
    journey: str | None
    since: dt.datetime | None
    until: dt.datetime | None
    customers: int
    out_of_order_customers: int
    steps: list[FunnelStep]
    paths: list[JourneyPath] = field(default_factory=list)
    distinct_paths: int = 0
    #: The graph version the answer reflects (None: read straight from the store).
    as_of: dict[str, Any] | None = None
    #: The customers it is about (None: every customer).
    persona: str | None = None
    segment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def step_rows(self) -> list[dict[str, Any]]:
        """The steps as flat rows (tables, CSV)."""
        rows = []
        for s in self.steps:
            row = {**asdict(s), "owners": ";".join(s.owners)}
            row.pop("mood")
            rows.append(row | (s.mood or StepMood(s.step_id)).columns())
        return rows

    def path_rows(self) -> list[dict[str, Any]]:
        return [{**asdict(p), "steps": " > ".join(p.steps)} for p in self.paths]


# --- the projections, shared with the ownership audit ----------------------------------------


def journey_steps(store: GraphStore) -> pd.DataFrame:
    """Every journey's steps in position order, one row each, with their owners.

    Columns: journey_id, journey, step_id, step, stage, position, owners (department ids,
    sorted), owner_names (same order). A journey with no steps has one row with a null step_id.
    """
    rows = store.frame("journey_steps")
    if rows.empty:
        return pd.DataFrame(columns=[*_STEP_COLUMNS, "owners", "owner_names"])
    rows = rows.sort_values(["journey_id", "position", "step_id", "department_id"])
    owned = rows.dropna(subset=["department_id"])
    names = owned["department"].fillna(owned["department_id"])
    owners = owned.groupby("step_id", sort=False)["department_id"].agg(list)
    owner_names = names.groupby(owned["step_id"], sort=False).agg(list)
    steps = rows.drop_duplicates(["journey_id", "step_id"])[_STEP_COLUMNS].reset_index(drop=True)
    steps["owners"] = [owners.get(s, []) if isinstance(s, str) else [] for s in steps["step_id"]]
    steps["owner_names"] = [
        owner_names.get(s, []) if isinstance(s, str) else [] for s in steps["step_id"]
    ]
    return steps


def customer_steps(
    store: GraphStore,
    steps: pd.DataFrame,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    *,
    use_facts: bool = True,
    projection: Facts | None = None,
) -> pd.DataFrame:
    """The (customer, step) projection of ``steps`` (rows of :func:`journey_steps`) over the
    touchpoints in ``[since, until)``; ``projection``: the facts to read (the caller's, e.g.
    restricted to one persona), else the store's current ones.

    Columns: journey_id, customer_id, step_id, position, first_at, last_at (the customer's
    first and last touchpoint there), touchpoints (how many). From the facts projection's
    codes (:func:`_grouped_from_facts`), or with ``use_facts`` false one named query pulls
    (customer, step, time) per touchpoint and the grouping happens here.
    """
    step_ids = sorted(steps["step_id"].dropna().unique())
    if use_facts:
        grouped = _grouped_from_facts(
            projection or facts_.current(store), step_ids, since or EARLIEST, until or LATEST
        )
        return _placed(grouped, steps) if len(grouped) else _no_projection()
    raw = store.frame(
        "journey_touchpoints", step_ids=step_ids, since=since or EARLIEST, until=until or LATEST
    )
    if raw.empty:
        return _no_projection()
    at = pd.to_datetime(raw["at"])
    # categories: the ids are factorised once, and every later grouping works on their codes
    customer = raw["customer_id"].astype("category")
    step = raw["step_id"].astype("category")
    grouped = (
        at.groupby([customer, step], sort=False, observed=True)
        .agg(["min", "max", "size"])
        .set_axis(["first_at", "last_at", "touchpoints"], axis=1)
        .reset_index()
    )
    return _placed(grouped, steps)


def _no_projection() -> pd.DataFrame:
    """The projection with no rows, typed as one with rows."""
    return pd.DataFrame(
        {
            "journey_id": pd.Series(dtype=object),
            "customer_id": pd.Series(dtype=object),
            "step_id": pd.Series(dtype=object),
            "position": pd.Series(dtype="int64"),
            "first_at": pd.Series(dtype="datetime64[us]"),
            "last_at": pd.Series(dtype="datetime64[us]"),
            "touchpoints": pd.Series(dtype="int64"),
        }
    )


def _grouped_from_facts(
    projection: Facts, step_ids: list[str], since: dt.datetime, until: dt.datetime
) -> pd.DataFrame:
    """``journey_touchpoints`` grouped by (customer, step) from the facts' codes: the
    AT_STEP pairs of the chosen steps in the period, joined to their customers (HAD), sorted
    once by (customer, step); ids are looked up only for the groups, and the customers
    are a categorical (as the Cypher path's), so what groups by them groups integer codes."""
    step_keys = projection.keys("steps")
    chosen = np.isin(step_keys, np.asarray(step_ids, dtype=object))
    tp = projection.column("at_step", "source")
    step = projection.column("at_step", "target")
    at = projection.column("touchpoints", "at")[tp]
    keep = chosen[step] & (at != NO_TIME) & (at >= micros(since))
    keep &= at < micros(until)
    tp, step, at = tp[keep], step[keep], at[keep]
    i, j = projection.join(tp, "had", "target")
    customer, step, at = projection.column("had", "source")[j], step[i], at[i]
    n_steps = max(len(step_keys), 1)
    key = customer * n_steps + step
    # Sorted by key alone (half a lexsort by key and time at 5M rows): a group's first and last
    # times are its minimum and maximum.
    order = np.argsort(key, kind="stable")
    key, at = key[order], at[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, int)
    ends = np.r_[starts[1:], len(key)].astype(np.int64)
    first = np.minimum.reduceat(at, starts) if len(key) else at[:0]
    last = np.maximum.reduceat(at, starts) if len(key) else at[:0]
    group = key[starts]
    return pd.DataFrame(
        {
            "customer_id": projection.key_categories("customers", group // n_steps),
            "step_id": step_keys[group % n_steps],
            "first_at": pd.to_datetime(first, unit="us").astype("datetime64[us]"),
            "last_at": pd.to_datetime(last, unit="us").astype("datetime64[us]"),
            "touchpoints": (ends - starts).astype(np.int64),
        }
    )


def _placed(grouped: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """The grouped (customer, step) rows with each step's journey and position."""
    placed = steps.dropna(subset=["step_id"])[["journey_id", "step_id", "position"]]
    grouped["step_id"] = grouped["step_id"].astype(object)
    frame = grouped.merge(placed, on="step_id", how="inner")
    frame["position"] = frame["position"].astype("int64")
    frame["touchpoints"] = frame["touchpoints"].astype("int64")
    return frame[_PROJECTION]


def current_steps(projection: pd.DataFrame) -> pd.DataFrame:
    """Each customer's current step in each journey: the step of their latest touchpoint in it.

    Ties on time go to the further step (higher position, then step id), as the 360 card's
    ``current_journey_steps`` does. Columns: journey_id, customer_id, step_id, position, at.
    """
    latest = projection.sort_values(
        ["journey_id", "customer_id", "last_at", "position", "step_id"], kind="stable"
    ).drop_duplicates(["journey_id", "customer_id"], keep="last")
    return latest[["journey_id", "customer_id", "step_id", "position", "last_at"]].rename(
        columns={"last_at": "at"}
    )


# --- the funnel --------------------------------------------------------------------------


def journey_funnel(
    store: GraphStore,
    journey_id: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    paths: int = 10,
    use_facts: bool = True,
    persona: str | None = None,
    segment: str | None = None,
) -> Funnel:
    """The funnel of ``journey_id`` over touchpoints in ``[since, until)``, with the ``paths``
    most common actual paths (definitions in the module docstring), of the customers of
    ``persona`` in ``segment`` (None: any). ``use_facts`` false reads the touchpoints with
    multi-hop Cypher instead of the facts projection (a cross-check; it takes no persona).

    Raises NotFoundError for a journey the graph does not have.
    """
    people = People(persona, segment)
    if people and not use_facts:
        raise InvalidRequestError("persona and segment are answered from the facts projection")
    all_steps = journey_steps(store)
    steps = all_steps[all_steps["journey_id"] == journey_id]
    if steps.empty:
        known = ", ".join(sorted(all_steps["journey_id"].unique())) or "none"
        raise NotFoundError(f"no journey {journey_id!r} (journeys: {known})")
    name = steps["journey"].iloc[0]
    steps = steps.dropna(subset=["step_id"]).sort_values(["position", "step_id"])
    steps = steps.reset_index(drop=True)
    projection_ = people.restrict(facts_.current(store))  # the mood reads it on either path
    projection = customer_steps(
        store, steps, since, until, use_facts=use_facts, projection=projection_
    )
    funnel = funnel_from_projection(
        journey_id, steps, projection, since=since, until=until, paths=paths
    )
    funnel.as_of = projection_.as_of if use_facts else None
    funnel.persona, funnel.segment = persona, segment
    funnel.journey = name if isinstance(name, str) else None
    moods = step_moods(store, since=since, until=until, projection=projection_)
    for step in funnel.steps:
        step.mood = moods.get(step.step_id)
    return funnel


def funnel_from_projection(
    journey_id: str,
    steps: pd.DataFrame,
    projection: pd.DataFrame,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    paths: int = 10,
) -> Funnel:
    """The funnel computed from a journey's ``steps`` (position order) and its projection."""
    order = list(steps["step_id"])
    code = {step: i for i, step in enumerate(order)}
    positions = steps["position"].to_numpy(dtype=np.int64)
    p = projection[projection["step_id"].isin(code)]
    # Integer codes from here on: a customer per row (factorised once), a step per row, times
    # as microseconds; the projection has one row per (customer, step).
    person, _ = pd.factorize(p["customer_id"])
    person = person.astype(np.int64)
    step = p["step_id"].map(code).to_numpy(dtype=np.int64)
    at = p["first_at"].to_numpy(dtype="datetime64[us]")
    customers = int(person.max()) + 1 if len(person) else 0

    reached = np.bincount(step, minlength=len(order))
    first = np.full((customers, len(order)), np.datetime64("NaT"), dtype="datetime64[us]")
    first[person, step] = at
    ranked = np.lexsort((step, positions[step], person))  # furthest: the last per customer
    last = ranked[np.r_[person[ranked][1:] != person[ranked][:-1], True]] if len(ranked) else ranked
    furthest = np.bincount(step[last], minlength=len(order))

    rows: list[FunnelStep] = []
    for k, step_id in enumerate(order):
        at_k = int(reached[k])
        drop = int(furthest[k])
        measures: dict[str, Any] = dict.fromkeys(
            [
                "from_previous",
                "conversion",
                "without_previous",
                "before_previous",
                "out_of_order",
                "median_seconds",
            ]
        )
        if k > 0:
            before, here = first[:, k - 1], first[:, k]
            has_before, has_here = ~np.isnat(before), ~np.isnat(here)
            both = has_before & has_here
            in_order = both & (before <= here)
            previous = int(reached[k - 1])
            measures["from_previous"] = int(both.sum())
            measures["conversion"] = int(both.sum()) / previous if previous else None
            measures["without_previous"] = int((has_here & ~has_before).sum())
            measures["before_previous"] = int((both & (here < before)).sum())
            measures["out_of_order"] = measures["without_previous"] + measures["before_previous"]
            gaps = pd.Series(here[in_order] - before[in_order])
            measures["median_seconds"] = float(gaps.median().total_seconds()) if len(gaps) else None
        row = steps.iloc[k]
        rows.append(
            FunnelStep(
                step_id=step_id,
                step=row["step"] if isinstance(row["step"], str) else None,
                position=int(row["position"]),
                owners=list(row["owners"]),
                customers=at_k,
                drop_off=drop,
                drop_off_rate=drop / at_k if at_k else None,
                **measures,
            )
        )

    top, distinct, disordered = _paths(person, step, at, list(code), positions, customers, paths)
    return Funnel(
        journey_id=journey_id,
        journey=steps["journey"].iloc[0] if len(steps) else None,
        since=since,
        until=until,
        customers=customers,
        out_of_order_customers=disordered,
        steps=rows,
        paths=top,
        distinct_paths=distinct,
    )


def _paths(
    person: np.ndarray,
    step: np.ndarray,
    at: np.ndarray,
    order: list[str],
    positions: np.ndarray,
    customers: int,
    top: int,
) -> tuple[list[JourneyPath], int, int]:
    """The ``top`` most common paths, how many distinct paths there are, and how many
    customers took a path out of order: each customer's steps in order of their first time
    there (ties by step order), from the rows' customer codes, step codes and first times."""
    if len(person) == 0:
        return [], 0, 0
    ordered = np.lexsort((step, at, person))
    person, codes = person[ordered], step[ordered]
    same = np.r_[False, person[1:] == person[:-1]]
    went_back = same & (np.r_[0, np.diff(positions[codes])] < 0)
    disordered = len(np.unique(person[went_back]))

    starts = np.flatnonzero(~same)
    length = np.diff(np.r_[starts, len(person)])
    base = len(order) + 1
    if base ** len(order) < 2**62:  # each path as one integer: its codes as base-`base` digits
        rank = np.arange(len(person)) - np.repeat(starts, length)
        power = np.power(base, (np.repeat(length, length) - 1 - rank).astype(np.int64))
        keys: np.ndarray = np.add.reduceat((codes + 1) * power, starts)
    else:  # too many steps for an integer key: the codes as fixed-width text
        text = np.array([f"{c:05d}." for c in codes], dtype=object)
        keys = np.array(["".join(part) for part in np.split(text, starts[1:])], dtype=object)
    unique, where, n = np.unique(keys, return_index=True, return_counts=True)
    sizes = length[where]
    best = np.lexsort((np.arange(len(unique)), sizes, -n))  # most taken, shorter, then by key
    result = []
    for i in best[:top]:
        path = _decode(unique[i], base, order=order)
        pos = positions[[order.index(s) for s in path]]
        span = np.flatnonzero((positions >= pos.min()) & (positions <= pos.max()))
        result.append(
            JourneyPath(
                steps=path,
                customers=int(n[i]),
                share=int(n[i]) / customers,
                in_order=bool(np.all(np.diff(pos) >= 0)),
                skips=len(span) > len(path),
            )
        )
    return result, len(unique), disordered


def _decode(key: Any, base: int, order: list[str]) -> list[str]:
    """The step ids of a path key (see :func:`_paths`)."""
    if isinstance(key, str):
        return [order[int(c)] for c in key.split(".")[:-1]]
    key, out = int(key), []
    while key:
        key, digit = divmod(key, base)
        out.append(order[digit - 1])
    return out[::-1]
