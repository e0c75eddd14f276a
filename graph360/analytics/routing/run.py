"""One run of the routing rules (:func:`run_rules`, and :func:`route_now` for the live paths)
and the report it returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from graph360 import consent
from graph360 import facts as facts_
from graph360.analytics.routing.reading import (
    _existing_actions,
    _existing_flags,
    _fallback,
    _promoters_now,
    _scores,
    _step_owners,
    projection,
    rated_touchpoints,
    read_complaints,
)
from graph360.analytics.routing.rules import (
    action_id,
    due_at,
    member,
    poor_rating,
    route,
)
from graph360.analytics.routing.writing import (
    _at_risk_flags,
    _complaint_flags,
    _plan_flags,
    _poor_rating_flags,
    _vip_flags,
    _write_actions,
    _write_flags,
)
from graph360.facts import routing as from_facts
from graph360.periods import utc_now
from graph360.store.base import GraphStore

# --- the run --------------------------------------------------------------------------------


@dataclass
class RuleChanges:
    """What a scoped run changed, by id (a full run reports counts only: there may be millions).

    ``flags_raised`` are created or re-opened; ``actions_created`` has one dict per new
    follow-up: action_id, customer_id, touchpoint_id, department_id, routed_by, due_at.
    """

    flags_raised: list[str]
    flags_resolved: list[str]
    actions_created: list[dict[str, Any]]


@dataclass
class RulesReport:
    """What a run of the rules did (or, with ``dry_run``, would do)."""

    now: dt.datetime
    dry_run: bool
    fallback_department: str | None
    #: severity -> {"raised": n, "kept": n, "resolved": n}; raised includes re-opened flags
    flags: dict[str, dict[str, int]]
    #: poor-rating actions created by this run, those that existed already, and of those the
    #: ones marked done
    actions_created: int
    actions_existing: int
    actions_done: int
    #: per department: the poor-rating follow-ups assigned to it (an existing action where it
    #: is, a new one where this run routes it), and how many this run creates
    routed: list[dict[str, Any]]
    #: ownership gaps: per (reason, step) the poor ratings routed to the fallback department;
    #: reason "unowned step" or "no step" (step_id None)
    gaps: list[dict[str, Any]]
    #: steps with several owners that poor ratings were routed through, and who took them
    conflicts: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    #: the customers a scoped run looked at (None: every customer)
    customer_ids: list[str] | None = None
    #: for a scoped run, what it changed (None for a full run)
    changes: RuleChanges | None = None
    #: the facts projection's version the graph was read at (None: direct Cypher)
    as_of: dict[str, Any] | None = None
    #: VIP candidates left out because they refused profiling (graph360.consent); empty when
    #: the VIP rule did not run
    left_out_by_consent: dict[str, Any] = field(default_factory=dict)

    @property
    def gap_counts(self) -> dict[str, int]:
        """Poor ratings routed to the fallback, by reason (``unowned step``, ``no step``)."""
        counts = {"unowned step": 0, "no step": 0}
        for gap in self.gaps:
            counts[gap["reason"]] += gap["ratings"]
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gap_counts": self.gap_counts}


def run_rules(
    store: GraphStore,
    *,
    customer_ids: Sequence[str] | None = None,
    fallback_department: str | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    use_facts: bool = True,
) -> RulesReport:
    """Run every rule, write the flags and actions in one atomic write, and report.

    ``customer_ids`` scopes the run to those customers (see the module docstring: the same
    rules, key lookups only); ``fallback_department`` takes the poor ratings nobody owns
    (default ``customer_care`` if that department exists, else the first department by id; an
    unknown one is refused with NotFoundError); ``now`` stamps new actions and amber/green flags
    (default: the current UTC time); ``dry_run`` computes everything and writes nothing.

    A full run reads the graph's touchpoints, steps and departments from the facts projection
    (``use_facts`` false: with multi-hop Cypher, as a scoped run always does); the scores,
    flags and actions the rules and ``graph360 value`` write are read with their own Cypher.
    """
    now = now or utc_now()
    scope = None if customer_ids is None else list(dict.fromkeys(customer_ids))
    warnings: list[str] = []
    projected = facts_.current(store) if use_facts and scope is None else None
    if projected is None:
        departments = projection(store, "routing_departments", ["department_id", "name"])
    else:
        departments = from_facts.departments(projected)
    ratings = rated_touchpoints(store, scope, projected)
    complaints = read_complaints(store, scope, projected)
    scores = _scores(store, scope)
    scored = not scores.empty if scope is None else bool(store.query("routing_scored_any"))

    poor = ratings[poor_rating(ratings["rating"], ratings["rating_scale"])]
    if projected is None:
        owners = _step_owners(store, None if scope is None else poor["step_id"])
    else:
        owners = from_facts.step_owners(projected)
    unowned = ~poor["step_id"].isin(owners["step_id"])
    fallback = _fallback(departments, fallback_department, needed=bool(unowned.any()))
    poor = route(poor, owners, fallback or "")
    poor["action_id"] = action_id(poor["touchpoint_id"])
    existing_actions = _existing_actions(store, None if scope is None else poor["action_id"])
    poor["exists"] = member(poor["action_id"], existing_actions.index)
    poor["done"] = poor["action_id"].map(existing_actions["status"]).eq("done")
    # an existing action stays where it is: count it with the department it is assigned to
    assigned = poor["action_id"].map(existing_actions["department_id"].astype(object))
    poor["assigned_to"] = assigned.where(assigned.notna(), poor["department_id"])

    wanted = [_complaint_flags(complaints), _poor_rating_flags(poor[~poor["done"]])]
    left_out: dict[str, Any] = {}
    evaluated = ["unresolved_complaint", "poor_rating"]
    existing = _existing_flags(store, scope)
    if not scored:
        warnings.append(
            "no value scores are stored (run `graph360 value` first): the at-risk and "
            "VIP-candidate rules were skipped and their flags left as they were"
        )
    elif scope is None:
        refused = consent.refusals(store, "vip_candidates")
        vip = _vip_flags(scores, ratings, now)
        out = refused.mask(vip["customer_id"])  # and their old VIP flags get resolved
        left_out = refused.note(int(out.sum()))
        wanted += [_at_risk_flags(scores, now), vip[~out]]
        evaluated += ["at_risk", "vip_candidate"]
    else:
        wanted.append(_at_risk_flags(scores, now))
        evaluated += ["at_risk", "vip_candidate"]
        undecided = _promoters_now(ratings)
        if len(undecided):
            warnings.append(
                f"{len(undecided)} customer(s) whose latest rating is a promoter's: VIP "
                "candidacy ranks every customer's value and is left to a full run"
            )
        existing = existing[
            ~(existing["kind"].eq("vip_candidate") & member(existing["customer_id"], undecided))
        ]
    plan = _plan_flags(pd.concat(wanted, ignore_index=True), existing, evaluated)

    new_actions = poor[~poor["exists"]]
    if not dry_run:
        with store.atomic():
            _write_flags(store, plan)
            _write_actions(store, new_actions, now)

    return RulesReport(
        now=now,
        dry_run=dry_run,
        fallback_department=fallback,
        flags=plan["counts"],
        actions_created=len(new_actions),
        actions_existing=int(poor["exists"].sum()),
        actions_done=int(poor["done"].sum()),
        routed=_routed(poor, departments),
        gaps=_gaps(poor),
        conflicts=_conflicts(poor),
        warnings=warnings,
        customer_ids=scope,
        changes=None if scope is None else _changes(plan, new_actions),
        as_of=None if projected is None else projected.as_of,
        left_out_by_consent=left_out,
    )


def route_now(
    store: GraphStore,
    customer_ids: list[str],
    now: dt.datetime | None = None,
    *,
    fallback_department: str | None = None,
) -> dict[str, list[Any]]:
    """A scoped run for customers whose touchpoints were just recorded: the router the surfaces
    hand to graph360.ingest (``realtime.Router``), saying what changed as a recording tells it."""
    report = run_rules(
        store, customer_ids=customer_ids, fallback_department=fallback_department, now=now
    )
    assert report.changes is not None  # a scoped run says what it changed
    return {
        "flags_raised": list(report.changes.flags_raised),
        "flags_resolved": list(report.changes.flags_resolved),
        "actions": list(report.changes.actions_created),
        "warnings": list(report.warnings),
    }


# --- the report -----------------------------------------------------------------------------


def _changes(plan: dict[str, Any], new: pd.DataFrame) -> RuleChanges:
    raised = pd.concat([plan["create"], plan["reopen"]], ignore_index=True)
    due = due_at(new["at"]) if len(new) else pd.Series(dtype="datetime64[us]")
    actions = [
        {
            "action_id": aid,
            "customer_id": cid,
            "touchpoint_id": tid,
            "department_id": dept,
            "routed_by": how,
            "due_at": when.to_pydatetime(),
        }
        for aid, cid, tid, dept, how, when in zip(
            new["action_id"],
            new["customer_id"],
            new["touchpoint_id"],
            new["department_id"],
            new["routed_by"],
            due,
            strict=True,
        )
    ]
    return RuleChanges(
        flags_raised=sorted(raised["flag_id"]),
        flags_resolved=sorted(plan["resolve"]["flag_id"]),
        actions_created=actions,
    )


def _routed(poor: pd.DataFrame, departments: pd.DataFrame) -> list[dict[str, Any]]:
    """Per department: the poor-rating follow-ups assigned to it (existing ones where they
    are, new ones where this run routes them), and how many of them this run creates."""
    names = departments.set_index("department_id")["name"].astype(object)
    names = names.where(names.notna(), None)
    grouped = pd.DataFrame(
        {
            "actions": poor.groupby("assigned_to").size(),
            "created": (~poor["exists"]).groupby(poor["assigned_to"]).sum(),
        }
    ).sort_index()
    return [
        {
            "department_id": dept,
            "department": names.get(dept),
            "actions": int(actions),
            "created": int(created),
        }
        for dept, actions, created in zip(
            grouped.index, grouped["actions"], grouped["created"], strict=True
        )
    ]


def _gaps(poor: pd.DataFrame) -> list[dict[str, Any]]:
    gaps = poor[poor["routed_by"].isin(["unowned step", "no step"])]
    grouped = (
        gaps.groupby(["routed_by", "step_id"], dropna=False)
        .agg(
            step=("step", "first"),
            department_id=("department_id", "first"),
            ratings=("touchpoint_id", "size"),
        )
        .reset_index()
        .sort_values(["routed_by", "step_id"], na_position="first")
    )
    return [
        {
            "reason": reason,
            "step_id": None if pd.isna(step_id) else step_id,
            "step": None if pd.isna(step) else step,
            "department_id": dept,
            "ratings": int(n),
        }
        for reason, step_id, step, dept, n in grouped.itertuples(index=False)
    ]


def _conflicts(poor: pd.DataFrame) -> list[dict[str, Any]]:
    conflicted = poor[poor["routed_by"] == "conflict"]
    grouped = conflicted.groupby("step_id").agg(
        step=("step", "first"),
        owners=("all_owners", "first"),
        chosen=("department_id", "first"),
        ratings=("touchpoint_id", "size"),
    )
    return [
        {
            "step_id": step_id,
            "step": step,
            "owners": list(owners),
            "chosen": chosen,
            "ratings": int(n),
        }
        for step_id, step, owners, chosen, n in grouped.itertuples()
    ]
