"""Data coverage: which systems the journey's data comes from, and where there is none.

"Begin by identifying data that you have or gaps that exist" (issue 18). A step only one
system feeds is seen through that system's eyes; a step with no touchpoint at all is one the
company cannot measure; a customer only one system knows has no 360 view at all. Definitions,
all time, from the facts projection (``graph360.facts``):

- A touchpoint's **system** is its ``source`` (the system that exported it; a touchpoint with
  none counts as ``null``).
- Per journey **step**: its touchpoints (AT_STEP) by system, most first, each with its share
  of the step's touchpoints. A step with no touchpoint is **without data** (listed in
  ``steps_without_data``); a step with touchpoints from one system only is **single-source**.
- **Unplaced**: touchpoints at no step, by system (data the journey map does not use).
- The systems a **customer is known to**: the systems of their source records (IDENTIFIED_BY)
  and of their touchpoints (HAD), together. ``by_systems`` counts the customers known to
  1, 2, ... systems; ``single_system`` those known to exactly one, and each system's
  ``only_here`` the customers it alone knows. A customer known to none (an anonymised one:
  no record, no touchpoint with a source) is counted in ``unknown``.
- Per **system**: its source records, the customers it knows, those it alone knows, its
  touchpoints.

``journey`` limits the steps to that journey's (the customer figures stay over every
customer); ``persona`` / ``segment`` read the chosen customers' facts only
(``graph360.facts.people``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from graph360 import facts as facts_
from graph360.errors import NotFoundError
from graph360.facts.people import People
from graph360.facts.tables import Facts
from graph360.store.base import GraphStore

__all__ = ["Coverage", "StepCoverage", "SystemCoverage", "coverage", "coverage_of"]


@dataclass
class StepCoverage:
    journey_id: str | None
    journey: str | None
    step_id: str
    step: str | None
    position: int | None
    touchpoints: int
    #: {"source": system (None: none given), "touchpoints": n, "share": of the step's}
    sources: list[dict[str, Any]]

    @property
    def without_data(self) -> bool:
        return self.touchpoints == 0


@dataclass
class SystemCoverage:
    source: str | None
    records: int
    customers: int
    only_here: int
    touchpoints: int


@dataclass
class Coverage:
    customers: int
    unknown: int  # customers known to no system
    single_system: int
    share_single_system: float | None
    by_systems: list[dict[str, int]]  # {"systems": k, "customers": n}
    systems: list[SystemCoverage]
    steps: list[StepCoverage]
    steps_without_data: list[str]
    single_source_steps: list[str]
    unplaced: list[dict[str, Any]]  # {"source", "touchpoints"}
    journey: str | None = None
    persona: str | None = None
    segment: str | None = None
    as_of: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def step_rows(self) -> list[dict[str, Any]]:
        """One flat row per step (the CLI's table and CSV)."""
        return [
            {
                "journey_id": s.journey_id,
                "step_id": s.step_id,
                "step": s.step,
                "position": s.position,
                "touchpoints": s.touchpoints,
                "systems": len(s.sources),
                "sources": "; ".join(f"{x['source']} {x['touchpoints']}" for x in s.sources),
            }
            for s in self.steps
        ]


def coverage(
    store: GraphStore,
    *,
    journey: str | None = None,
    persona: str | None = None,
    segment: str | None = None,
) -> Coverage:
    """The data coverage (see the module). Raises NotFoundError for an unknown journey."""
    f = People(persona, segment).restrict(facts_.current(store))
    report = coverage_of(f, journey)
    report.persona, report.segment = persona, segment
    return report


def coverage_of(f: Facts, journey: str | None = None) -> Coverage:
    """The coverage of projection ``f`` (perhaps restricted to some customers: then its
    customers are those in scope), its steps those of ``journey`` (None: every journey's)."""
    step_journeys = f.column("steps", "journey_id")
    if journey is not None and not (step_journeys == journey).any():
        known = ", ".join(sorted({str(j) for j in step_journeys if j is not None})) or "none"
        raise NotFoundError(f"no journey {journey!r} (journeys: {known})")

    # one vocabulary of systems for touchpoints and records (the last code: none given)
    tp_source, tp_names = f.codes("touchpoints", "source")
    rec_source, rec_names = f.codes("records", "source")
    names = sorted({str(n) for n in [*tp_names, *rec_names]})
    none = len(names)
    index = {n: i for i, n in enumerate(names)}
    tp_system = _recode(tp_source, tp_names, index, none)
    rec_system = _recode(rec_source, rec_names, index, none)
    n_systems = none + 1

    in_scope = f.customers_in_scope
    n_customers = f.size("customers")
    chosen = np.ones(n_customers, bool) if in_scope is None else in_scope
    touchpoints_in = f.touchpoints_in_scope
    tp_chosen = np.ones(f.size("touchpoints"), bool) if touchpoints_in is None else touchpoints_in

    # which systems know each customer: a customer x system table of booleans
    known = np.zeros((n_customers, n_systems), dtype=bool)
    had_c, had_t = f.column("had", "source"), f.column("had", "target")
    known[had_c, tp_system[had_t]] = True
    id_c, id_r = f.column("identified_by", "source"), f.column("identified_by", "target")
    known[id_c, rec_system[id_r]] = True
    known[:, none] = False  # "no source given" is not a system
    known = known[chosen]
    per_customer = known.sum(axis=1)
    alone = per_customer == 1
    counted = np.bincount(per_customer, minlength=1)

    records = np.bincount(rec_system[np.unique(id_r)], minlength=n_systems)
    tp_counts = np.bincount(tp_system[tp_chosen], minlength=n_systems)
    systems = [
        SystemCoverage(
            source=label,
            records=int(records[k]),
            customers=int(known[:, k].sum()),
            only_here=int((known[:, k] & alone).sum()),
            touchpoints=int(tp_counts[k]),
        )
        for k, label in enumerate([*names, None])
        if records[k] or tp_counts[k] or (k < none and known[:, k].any())
    ]
    systems.sort(key=lambda s: (-s.customers, -s.touchpoints, s.source or ""))

    # per step, by system
    at_tp, at_step = f.column("at_step", "source"), f.column("at_step", "target")
    n_steps = f.size("steps")
    pair = np.bincount(at_step * n_systems + tp_system[at_tp], minlength=n_steps * n_systems)
    pair = pair.reshape(n_steps, n_systems)
    step_keys, step_names = f.keys("steps"), f.column("steps", "name")
    positions = f.column("steps", "position")
    journey_names = dict(zip(f.keys("journeys"), f.column("journeys", "name"), strict=True))
    chosen_steps = [k for k in range(n_steps) if journey is None or step_journeys[k] == journey]
    chosen_steps.sort(
        key=lambda k: (str(step_journeys[k]), _position(positions[k]), str(step_keys[k]))
    )
    steps = []
    for k in chosen_steps:
        total = int(pair[k].sum())
        order = sorted(np.flatnonzero(pair[k]), key=lambda s: (-pair[k][s], s))
        labels = [*names, None]
        steps.append(
            StepCoverage(
                journey_id=_text(step_journeys[k]),
                journey=_text(journey_names.get(step_journeys[k])),
                step_id=str(step_keys[k]),
                step=_text(step_names[k]),
                position=None if np.isnan(positions[k]) else int(positions[k]),
                touchpoints=total,
                sources=[
                    {
                        "source": labels[s],
                        "touchpoints": int(pair[k][s]),
                        "share": float(pair[k][s] / total),
                    }
                    for s in order
                ],
            )
        )

    placed = np.zeros(f.size("touchpoints"), dtype=bool)
    placed[at_tp] = True
    unplaced = np.bincount(tp_system[tp_chosen & ~placed], minlength=n_systems)
    labels = [*names, None]
    return Coverage(
        customers=int(chosen.sum()),
        unknown=int(counted[0]),
        single_system=int(alone.sum()),
        share_single_system=float(alone.mean()) if len(alone) else None,
        by_systems=[{"systems": k, "customers": int(n)} for k, n in enumerate(counted) if k and n],
        systems=systems,
        steps=steps,
        steps_without_data=[s.step_id for s in steps if s.without_data],
        single_source_steps=[s.step_id for s in steps if len(s.sources) == 1],
        unplaced=[
            {"source": labels[k], "touchpoints": int(unplaced[k])}
            for k in sorted(np.flatnonzero(unplaced), key=lambda k: (-unplaced[k], k))
        ],
        journey=journey,
        as_of=f.as_of,
    )


def _recode(codes: np.ndarray, values: list[Any], index: dict[str, int], none: int) -> np.ndarray:
    """A dictionary column's codes as codes into the shared vocabulary (-1: ``none``)."""
    lookup = np.array([index[str(v)] for v in values] + [none], dtype=np.int64)
    return lookup[np.where(codes < 0, len(values), codes)]


def _position(value: float) -> float:
    return float("inf") if np.isnan(value) else float(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
