"""The audit itself: each journey step's owners, traffic, stuck customers and value at stake."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from graph360 import facts as facts_
from graph360.analytics.coverage import Coverage, coverage_of
from graph360.analytics.journeys import current_steps, customer_steps, journey_steps
from graph360.analytics.mood import StepMood, step_moods
from graph360.analytics.ownership.wording import all_or_both, amount, and_list, plural
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.facts import ownership as from_facts
from graph360.facts.people import People
from graph360.periods import utc_now
from graph360.store.base import GraphStore

VALUE_DAYS = 365
Status = Literal["owned", "unowned", "conflict"]


@dataclass
class StepAudit:
    """One journey step: its owners, its traffic, who is stuck there, what is at stake."""

    journey_id: str
    journey: str | None
    step_id: str
    step: str | None
    stage: str | None
    position: int
    owners: list[str]
    owner_names: list[str]
    status: Status
    touchpoints: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    by_channel: list[dict[str, Any]]
    customers: int
    stuck: int
    stuck_value: float
    step_value: float
    value_at_stake: float
    top_stuck: list[dict[str, Any]]
    likely_owner: str | None = None
    likely_owner_name: str | None = None
    inferred_from: str | None = None
    advice: str | None = None
    #: How people rated and sounded at the step (graph360.analytics.mood); None: no rating
    #: and no voice there.
    mood: StepMood | None = None

    @property
    def is_gap(self) -> bool:
        return self.status != "owned"

    @property
    def label(self) -> str:
        return self.step or self.step_id


@dataclass
class OrphanTouchpoints:
    channel: str
    kind: str
    touchpoints: int
    value: float
    first_at: dt.datetime | None
    last_at: dt.datetime | None


@dataclass
class OwnershipAudit:
    as_of: dt.datetime
    value_since: dt.datetime
    journeys: list[dict[str, Any]]
    steps: list[StepAudit]
    orphans: list[OrphanTouchpoints] | None = None
    touchpoints_at_steps: int = 0
    scope: str | None = None  # the one journey audited, or None for all
    summary: dict[str, Any] = field(default_factory=dict)
    #: The graph version the audit reflects (None: read straight from the store).
    graph_as_of: dict[str, Any] | None = None
    #: The customers it is about (None: every customer).
    persona: str | None = None
    segment: str | None = None
    #: The data behind the steps (graph360.analytics.coverage; None: read straight from the
    #: store, which has no projection to answer it from).
    coverage: Coverage | None = None

    @property
    def unowned(self) -> list[StepAudit]:
        return [s for s in self.steps if s.status == "unowned"]

    @property
    def conflicts(self) -> list[StepAudit]:
        return [s for s in self.steps if s.status == "conflict"]

    @property
    def gaps(self) -> list[StepAudit]:
        return [s for s in self.steps if s.is_gap]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def step_rows(self) -> list[dict[str, Any]]:
        """One flat row per step (tables, CSV): lists joined with ';', no nested detail."""
        rows = []
        for s in self.steps:
            row = asdict(s)
            row.pop("by_channel")
            row.pop("top_stuck")
            row.pop("mood")
            row |= (s.mood or StepMood(s.step_id)).columns()
            row["owners"] = ";".join(s.owners)
            row["owner_names"] = ";".join(s.owner_names)
            rows.append(row)
        return rows


def ownership_audit(
    store: GraphStore,
    journey_id: str | None = None,
    *,
    as_of: dt.datetime | None = None,
    top: int = 5,
    use_facts: bool = True,
    persona: str | None = None,
    segment: str | None = None,
) -> OwnershipAudit:
    """Audit the ownership of every journey's steps (or of ``journey_id``'s only).

    ``as_of`` ends the value window (default: now, UTC); ``top`` is how many stuck customers to
    name per step (those with the most value in the window); ``persona`` / ``segment``: those
    customers only (needs the facts projection). Raises NotFoundError for a journey the graph
    does not have.
    """
    people = People(persona, segment)
    if people and not use_facts:
        raise InvalidRequestError("persona and segment are answered from the facts projection")
    as_of = as_of or utc_now()
    since = as_of - dt.timedelta(days=VALUE_DAYS)
    steps = journey_steps(store)
    if journey_id is not None:
        if journey_id not in set(steps["journey_id"]):
            known = ", ".join(sorted(steps["journey_id"].unique())) or "none"
            raise NotFoundError(f"no journey {journey_id!r} (journeys: {known})")
        steps = steps[steps["journey_id"] == journey_id]
    journeys = (
        steps.drop_duplicates("journey_id")[["journey_id", "journey"]]
        .sort_values("journey_id")
        .to_dict("records")
    )
    steps = steps.dropna(subset=["step_id"]).reset_index(drop=True)
    window = {"since": since, "until": as_of}
    projection_ = people.restrict(facts_.current(store)) if use_facts else None
    reader: Any = store if projection_ is None else from_facts.Reader(store, projection_)

    traffic = _frame(
        reader,
        "ownership_step_traffic",
        ["step_id", "channel", "touchpoints", "first_at", "last_at", "value", "window_value"],
        **window,
    )
    handlers = _frame(
        reader,
        "ownership_step_handlers",
        ["step_id", "department_id", "department", "via", "touchpoints"],
    )
    projection = customer_steps(store, steps, use_facts=use_facts, projection=projection_)
    current = current_steps(projection)
    values = _frame(reader, "ownership_customer_value", ["customer_id", "value"], **window)
    step_values = _frame(
        reader, "ownership_customer_step_value", ["customer_id", "step_id", "value"], **window
    )

    key = ["journey_id", "step_id"]
    per_step = steps[key].copy()
    # traffic, all time and in the value window
    totals = traffic.groupby("step_id").agg(
        touchpoints=("touchpoints", "sum"),
        first_at=("first_at", "min"),
        last_at=("last_at", "max"),
        step_value=("window_value", "sum"),
    )
    per_step = per_step.join(totals, on="step_id")
    per_step["customers"] = _count(per_step, projection.groupby(key).size())
    # stuck customers, their value, and their own value at the step (counted once)
    stuck = current.merge(values, on="customer_id", how="left")
    stuck["value"] = stuck["value"].fillna(0.0)
    own = current.merge(step_values, on=["customer_id", "step_id"], how="inner")
    per_step["stuck"] = _count(per_step, stuck.groupby(key).size())
    per_step["stuck_value"] = _count(per_step, stuck.groupby(key)["value"].sum())
    overlap = _count(per_step, own.groupby(key)["value"].sum())
    per_step["step_value"] = per_step["step_value"].fillna(0.0)
    per_step["value_at_stake"] = per_step["stuck_value"] + per_step["step_value"] - overlap
    per_step["touchpoints"] = per_step["touchpoints"].fillna(0)

    top_stuck = _top_stuck(stuck, top)
    channels = {
        step: [
            {
                "channel": r.channel,
                "touchpoints": int(r.touchpoints),
                "first_at": _when(r.first_at),
                "last_at": _when(r.last_at),
                "value": float(r.value),
            }
            for r in rows.sort_values(
                ["touchpoints", "channel"], ascending=[False, True]
            ).itertuples()
        ]
        for step, rows in traffic.groupby("step_id")
    }

    audited: list[StepAudit] = []
    for spec, numbers in zip(
        steps.itertuples(index=False), per_step.itertuples(index=False), strict=True
    ):
        owners = list(spec.owners)
        status: Status = "unowned" if not owners else "conflict" if len(owners) > 1 else "owned"
        audited.append(
            StepAudit(
                journey_id=spec.journey_id,
                journey=_text(spec.journey),
                step_id=spec.step_id,
                step=_text(spec.step),
                stage=_text(spec.stage),
                position=int(spec.position),
                owners=owners,
                owner_names=list(spec.owner_names),
                status=status,
                touchpoints=int(numbers.touchpoints),
                first_at=_when(numbers.first_at),
                last_at=_when(numbers.last_at),
                by_channel=channels.get(spec.step_id, []),
                customers=int(numbers.customers),
                stuck=int(numbers.stuck),
                stuck_value=round(float(numbers.stuck_value), 2),
                step_value=round(float(numbers.step_value), 2),
                value_at_stake=round(float(numbers.value_at_stake), 2),
                top_stuck=top_stuck.get((spec.journey_id, spec.step_id), []),
            )
        )
    names = _department_names(steps, handlers)
    for step in audited:
        if step.is_gap:
            _infer_owner(step, audited, handlers, names)
            step.advice = _advice(step)
    # all time, as the traffic; from the facts on either path
    moods = step_moods(store, projection=projection_ or facts_.current(store))
    for step in audited:
        step.mood = moods.get(step.step_id)

    orphans = None
    if journey_id is None:
        orphan_rows = _frame(
            reader,
            "ownership_orphans",
            ["channel", "kind", "touchpoints", "value", "first_at", "last_at"],
        )
        orphans = [
            OrphanTouchpoints(
                channel=r.channel,
                kind=r.kind,
                touchpoints=int(r.touchpoints),
                value=round(float(r.value), 2),
                first_at=_when(r.first_at),
                last_at=_when(r.last_at),
            )
            for r in orphan_rows.sort_values(
                ["touchpoints", "channel", "kind"], ascending=[False, True, True]
            ).itertuples()
        ]
    audit = OwnershipAudit(
        as_of=as_of,
        value_since=since,
        journeys=journeys,
        steps=audited,
        orphans=orphans,
        touchpoints_at_steps=int(traffic["touchpoints"].sum()) if journey_id is None else 0,
        scope=journey_id,
        graph_as_of=None if projection_ is None else projection_.as_of,
        persona=persona,
        segment=segment,
        coverage=None if projection_ is None else coverage_of(projection_, journey_id),
    )
    audit.summary = _summary(audit)
    return audit


def _summary(audit: OwnershipAudit) -> dict[str, Any]:
    gaps = audit.gaps
    orphan_count = sum(o.touchpoints for o in audit.orphans) if audit.orphans is not None else None
    mapped = audit.touchpoints_at_steps
    return {
        "journeys": len(audit.journeys),
        "steps": len(audit.steps),
        "unowned": len(audit.unowned),
        "conflicts": len(audit.conflicts),
        "touchpoints_at_gaps": sum(s.touchpoints for s in gaps),
        "customers_stuck_at_gaps": sum(s.stuck for s in gaps),
        "value_at_stake": round(sum(s.value_at_stake for s in gaps), 2),
        "orphan_touchpoints": orphan_count,
        "orphan_share": (
            orphan_count / (orphan_count + mapped)
            if orphan_count is not None and orphan_count + mapped
            else None
        ),
    }


def _frame(store: GraphStore, name: str, columns: list[str], **params: Any) -> pd.DataFrame:
    """A named query's rows with the expected columns even when there are none (Neo4j gives
    an empty frame without columns), times as datetime64."""
    frame = store.frame(name, **params)
    frame = frame.reindex(columns=columns) if not frame.empty else pd.DataFrame(columns=columns)
    for column in ("first_at", "last_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    for column in ("touchpoints", "value", "window_value"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column]).fillna(0)
    return frame


def _count(per_step: pd.DataFrame, by_key: pd.Series) -> np.ndarray:
    """``by_key`` (indexed by journey_id, step_id) on ``per_step``'s rows, 0 where absent."""
    if by_key.empty:
        return np.zeros(len(per_step))
    index = pd.MultiIndex.from_frame(per_step[["journey_id", "step_id"]])
    return by_key.reindex(index).fillna(0).to_numpy()


def _top_stuck(stuck: pd.DataFrame, top: int) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The ``top`` stuck customers per step: most value in the window, then most recent."""
    if top <= 0 or stuck.empty:
        return {}
    best = (
        stuck.sort_values(
            ["journey_id", "step_id", "value", "at", "customer_id"],
            ascending=[True, True, False, False, True],
            kind="stable",
        )
        .groupby(["journey_id", "step_id"], sort=False)
        .head(top)
    )
    result: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in best.itertuples(index=False):
        result.setdefault((row.journey_id, row.step_id), []).append(
            {"customer_id": row.customer_id, "since": _when(row.at), "value": float(row.value)}
        )
    return result


def _department_names(steps: pd.DataFrame, handlers: pd.DataFrame) -> dict[str, str]:
    names: dict[str, str] = {}
    for ids, labels in zip(steps["owners"], steps["owner_names"], strict=True):
        names.update(zip(ids, labels, strict=True))
    for row in handlers.dropna(subset=["department_id"]).itertuples(index=False):
        names.setdefault(row.department_id, _text(row.department) or row.department_id)
    return names


def _infer_owner(
    step: StepAudit,
    steps: list[StepAudit],
    handlers: pd.DataFrame,
    names: dict[str, str],
) -> None:
    """Name the likely owner of a gap (rules in the module docstring)."""
    allowed = set(step.owners) if step.status == "conflict" else None

    work = handlers[handlers["step_id"] == step.step_id]
    if allowed is not None:
        work = work[work["department_id"].isin(allowed)]
    by_department = work.groupby("department_id")["touchpoints"].sum()
    if len(by_department):
        best = by_department.max()
        leaders = sorted(by_department[by_department == best].index)
        if len(leaders) == 1:
            vias = set(work.loc[work["department_id"] == leaders[0], "via"])
            how = (
                "handles"
                if vias == {"handled"}
                else ("runs the campaigns behind" if vias == {"campaign"} else "handles or runs")
            )
            total = step.touchpoints
            step.likely_owner = leaders[0]
            step.inferred_from = f"{how} {int(best):,} of the {total:,} touchpoints at the step"
            step.likely_owner_name = names.get(leaders[0], leaders[0])
            return

    same = sorted(
        (s for s in steps if s.journey_id == step.journey_id and s.step_id != step.step_id),
        key=lambda s: (s.position, s.step_id),
    )
    here = (step.position, step.step_id)
    before = [s for s in same if (s.position, s.step_id) < here and s.owners]
    after = [s for s in same if (s.position, s.step_id) > here and s.owners]
    prev, nxt = (before[-1] if before else None), (after[0] if after else None)

    def candidates(s: StepAudit | None) -> set[str]:
        owners = set(s.owners) if s is not None else set()
        return owners & allowed if allowed is not None else owners

    left, right = candidates(prev), candidates(nxt)
    both = left & right
    before_label, after_label = (prev.label if prev else ""), (nxt.label if nxt else "")
    choice: tuple[str, str] | None = None
    if len(both) == 1:
        choice = (min(both), f"owns the steps on both sides, {before_label} and {after_label}")
    elif not both and len(left) == 1:
        choice = (min(left), f"owns the step before, {before_label}")
    elif not both and not left and len(right) == 1:
        choice = (min(right), f"owns the step after, {after_label}")
    if choice is not None:
        step.likely_owner, step.inferred_from = choice
        step.likely_owner_name = names.get(choice[0], choice[0])


def _advice(step: StepAudit) -> str:
    """The "what to do" line for a gap."""
    stake = f"{plural(step.stuck, 'customer')} stuck there, {amount(step.value_at_stake)} at stake"
    if step.status == "unowned":
        if step.likely_owner:
            return (
                f"Assign {step.label} to {step.likely_owner_name} "
                f"(it {step.inferred_from}); {stake}."
            )
        return (
            f"Assign an owner to {step.label}: no department works its touchpoints or owns a "
            f"neighbouring step; {stake}."
        )
    owners = and_list(step.owner_names)
    if step.likely_owner:
        return (
            f"Make {step.likely_owner_name} the single owner of {step.label} "
            f"(it {step.inferred_from}); today {owners} {all_or_both(step.owners)} own it; {stake}."
        )
    return (
        f"Agree on one owner for {step.label}: {owners} {all_or_both(step.owners)} own it and "
        f"the data favours none of them; {stake}."
    )


def _when(value: Any) -> dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
