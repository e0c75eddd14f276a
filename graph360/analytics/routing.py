"""Flags and routing: what someone must do next for a customer, and which department must do it.

The rules read the graph (and the value scores ``graph360 value`` stored on customers) and
write their verdicts back as Flag and Action nodes (through graph360.analytics.follow_ups, the
one writer of both), so the 360 card, the API and the views show them without recomputing.
Running the rules twice creates nothing twice: every Flag and Action has a deterministic id and
is upserted by it.

Definitions (DESIGN.md §3, refined where it was silent):

- **Poor rating**: at or below 2 on a 5-point scale, 0-6 on NPS (``rating_scale`` 10);
  a **promoter**: 5 on a 5-point scale, 9-10 on NPS. Ratings on any other scale are neither.
- **Complaint**: a touchpoint of a kind in :data:`graph360.model.COMPLAINT_KINDS`
  (``ticket``, ``complaint``).
  It is **resolved** when its ``outcome`` is one of :data:`RESOLVED_OUTCOMES` (``resolved``,
  ``closed``, ``solved``; any letter case), or, when it has no outcome at all, when its
  ``resolution`` is filled in. Every other complaint (the demo's ``open`` and ``waiting``
  tickets, and a ticket that says nothing) is **unresolved**.

Flags (``Flag.kind`` → severity; id ``flag:<kind>:<customer_id>[:<touchpoint_id>]``):

- ``unresolved_complaint`` (red), one per unresolved complaint; its cause is gone when the
  complaint is resolved (a reload brings the new outcome).
- ``poor_rating`` (red), one per poor rating; its cause is gone when the follow-up action that
  the rating triggered is ``done``.
- ``at_risk`` (amber), one per customer whose stored ``at_risk`` is above
  :data:`AT_RISK_THRESHOLD` (0.5: a recent poor rating or an unresolved complaint alone scores
  exactly 0.5 and is already red; above it the customer is also overdue by their own purchase
  rhythm, or has both — see :mod:`graph360.analytics.value`).
- ``vip_candidate`` (green), one per customer whose **latest** rating is a promoter rating and
  whose stored current or potential value is in the top decile of all scored customers
  (at or above the 90th percentile, and above zero), unless they refused profiling
  (graph360.consent): the report's ``left_out_by_consent`` says how many were left out, and
  an earlier VIP flag of theirs is resolved.

A flag is ``open`` while its cause holds; when the cause has gone it is set to ``resolved``
(never deleted), and it is opened again if the cause comes back. ``raised_at`` is the time of
the touchpoint behind a red flag, and the time of the run that (re)opened an amber or green
flag. The at-risk and VIP rules need the stored value scores: when no customer has any, those
two rules are skipped (their flags left as they are) and the report says so.

Routing: every poor rating becomes an Action ``action:poor_rating:<touchpoint_id>`` (kind
``follow up poor rating``, status ``outstanding``, due :data:`SLA_WORKING_DAYS` working days
(Monday-Friday, no holidays) after the rating, at the same time of day; a rating given on a
weekend counts from the Monday) ``TRIGGERED_BY`` the rating, ``NEEDS`` from the customer and
``ASSIGNED_TO`` the department that owns the step the rating was given at. A step with several
owners is a **conflict**: the first owner by ``department_id`` takes it, and the report lists
the conflict. A rating at an unowned step, or at no step at all, goes to the fallback department
and is an **ownership gap** in the report. An action that exists already is left exactly as it
is (status, assignment, dates): someone may be working on it, or have finished it.

Scoped runs (``run_rules(store, customer_ids=[...])``) apply the same rules to some customers
only — what recording one touchpoint needs at once — reading only what hangs off each of those
customers' keys (their ratings, complaints, flags and score; the follow-ups of their ratings by
action id; the owners of those steps). They write what a full run would write for those
customers, with one exception: the VIP-candidate rule ranks every customer's value, so a scoped
run resolves the VIP flag of a customer whose latest rating is no longer a promoter's (true
whatever the ranking) but leaves VIP flags of customers whose latest rating is a promoter's to
the next full run, and says so in the warnings. Whether any customer has value scores at all
(which switches the amber and green rules on) is still asked of the whole store, by one probe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graph360 import consent
from graph360 import facts as facts_
from graph360.analytics.follow_ups import FLAG_KINDS, SEVERITIES, write_actions, write_flags
from graph360.errors import NotFoundError
from graph360.facts import routing as from_facts
from graph360.model import COMPLAINT_KINDS
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = [
    "AT_RISK_THRESHOLD",
    "COMPLAINT_KINDS",
    "RESOLVED_OUTCOMES",
    "RuleChanges",
    "RulesReport",
    "action_id",
    "due_at",
    "flag_id",
    "poor_rating",
    "promoter",
    "route",
    "route_now",
    "run_rules",
    "unresolved",
]

RESOLVED_OUTCOMES = ("resolved", "closed", "solved")
#: An amber flag is raised when the stored at-risk score is strictly above this.
AT_RISK_THRESHOLD = 0.5
#: A green flag needs current or potential value at or above this quantile (the top decile).
VIP_QUANTILE = 0.9
SLA_WORKING_DAYS = 2
DEFAULT_FALLBACK = "customer_care"
FOLLOW_UP_KIND = "follow up poor rating"


# --- definitions ----------------------------------------------------------------------------


def poor_rating(rating: Any, scale: Any) -> np.ndarray:
    """Whether each rating is poor: <= 2 on a 5-point scale, 0-6 on NPS (scale 10).

    >>> poor_rating([2, 3, 6, 7], [5, 5, 10, 10]).tolist()
    [True, False, True, False]
    """
    rating, scale = _floats(rating), _floats(scale)
    return ((scale == 5) & (rating <= 2)) | ((scale == 10) & (rating <= 6))


def promoter(rating: Any, scale: Any) -> np.ndarray:
    """Whether each rating is a promoter's: 5/5, or 9-10 on NPS.

    >>> promoter([4, 5, 8, 9], [5, 5, 10, 10]).tolist()
    [False, True, False, True]
    """
    rating, scale = _floats(rating), _floats(scale)
    return ((scale == 5) & (rating >= 5)) | ((scale == 10) & (rating >= 9))


def unresolved(outcome: Any, resolution: Any) -> np.ndarray:
    """Whether each complaint is unresolved (see the module docstring).

    >>> unresolved(["open", "Closed", None, None], [None, None, "Refund issued", None]).tolist()
    [True, False, False, True]
    """
    outcome = pd.Series(outcome, dtype="object").astype("string").str.strip().str.lower()
    resolution = pd.Series(resolution, dtype="object").astype("string").str.strip()
    no_outcome = outcome.isna() | (outcome == "")
    resolved = outcome.isin(RESOLVED_OUTCOMES).fillna(False) | (
        no_outcome & resolution.notna() & (resolution != "")
    )
    return ~resolved.fillna(False).to_numpy(dtype=bool)


def flag_id(kind: str, customer_id: Any, touchpoint_id: Any = None) -> Any:
    """``flag:<kind>:<customer_id>[:<touchpoint_id>]`` (scalars or Series)."""
    text = "flag:" + kind + ":" + customer_id
    return text if touchpoint_id is None else text + ":" + touchpoint_id


def action_id(touchpoint_id: Any) -> Any:
    """``action:poor_rating:<touchpoint_id>`` (a scalar or a Series)."""
    return "action:poor_rating:" + touchpoint_id


def due_at(at: pd.Series, working_days: int = SLA_WORKING_DAYS) -> pd.Series:
    """``working_days`` Monday-Friday days after each time, at the same time of day.

    A weekend time counts from the following Monday.

    >>> due_at(pd.Series(pd.to_datetime(["2026-09-04 14:00", "2026-09-05 10:00"]))).tolist()
    [Timestamp('2026-09-08 14:00:00'), Timestamp('2026-09-09 10:00:00')]
    """
    at = pd.to_datetime(at)
    day = at.dt.floor("D")
    moved = np.busday_offset(
        day.to_numpy().astype("datetime64[D]"), working_days, roll="forward"
    ).astype("datetime64[us]")
    return pd.Series(moved, index=at.index) + (at - day)


def route(ratings: pd.DataFrame, owners: pd.DataFrame, fallback: str) -> pd.DataFrame:
    """The department each rating goes to, and why.

    ``ratings`` has ``step_id`` (null: no step); ``owners`` has one row per (step_id,
    department_id). Returns ``ratings`` with ``department_id``, ``owners`` (how many the step
    has) and ``routed_by``: ``owner``, ``conflict`` (several owners: the first by
    department_id), ``unowned step`` or ``no step`` (both: the fallback department).
    """
    per_step = (
        owners.sort_values(["step_id", "department_id"])
        .groupby("step_id", sort=False)["department_id"]
        .agg(first="first", owners="size", all_owners=list)
    )
    routed = ratings.join(per_step, on="step_id")
    count = routed["owners"].fillna(0).astype(int)
    routed["owners"] = count
    routed["department_id"] = routed["first"].where(count > 0, fallback)
    routed["routed_by"] = np.select(
        [routed["step_id"].isna(), count == 0, count > 1],
        ["no step", "unowned step", "conflict"],
        "owner",
    )
    return routed.drop(columns="first")


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


# --- reading --------------------------------------------------------------------------------


def projection(
    store: GraphStore, name: str, columns: list[str], *, times: tuple[str, ...] = (), **params: Any
) -> pd.DataFrame:
    """A named query's rows as a frame that always has ``columns`` (even with no rows), the
    ``times`` columns as datetime64[us] whatever the backend returns."""
    return _typed(store.frame(name, **params), columns, times)


def _typed(frame: pd.DataFrame, columns: list[str], times: tuple[str, ...]) -> pd.DataFrame:
    frame = frame.reindex(columns=columns)
    if frame.empty:  # no rows: columns of no type at all would break joins and arithmetic
        frame = pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    for column in times:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame


def _scoped(
    store: GraphStore,
    scope: list[str] | None,
    names: tuple[str, str],
    columns: list[str],
    *,
    times: tuple[str, ...] = (),
    **params: Any,
) -> pd.DataFrame:
    """The whole-store query ``names[0]``, or per customer in ``scope`` the query ``names[1]``
    that walks from that customer's key: one call each, since LadybugDB looks a key up by its
    index for ``{customer_id: $customer_id}`` but joins over every row for a list of keys."""
    whole, per_customer = names
    if scope is None:
        return projection(store, whole, columns, times=times, **params)
    rows = [row for cid in scope for row in store.query(per_customer, customer_id=cid, **params)]
    return _typed(pd.DataFrame(rows), columns, times)


RATING_COLUMNS = [
    "customer_id",
    "touchpoint_id",
    "at",
    "kind",
    "rating",
    "rating_scale",
    "step_id",
    "step",
]
COMPLAINT_COLUMNS = ["customer_id", "touchpoint_id", "at", "kind", "text", "outcome", "resolution"]


def rated_touchpoints(
    store: GraphStore,
    scope: list[str] | None = None,
    projected: facts_.Facts | None = None,
    *,
    coded: bool = False,
) -> pd.DataFrame:
    """Every rated touchpoint (of the customers in ``scope``, if given), one row each (at the
    first step by id if it sits at several), with ``rating`` and ``rating_scale`` as floats.
    From the facts projection ``projected`` when given (a full run; ``coded``: customers as
    their codes)."""
    if projected is not None:
        ratings = _typed(from_facts.ratings(projected, coded=coded), RATING_COLUMNS, ("at",))
    else:
        ratings = _scoped(
            store, scope, ("routing_ratings", "routing_customer_ratings"), RATING_COLUMNS,
            times=("at",),
        )  # fmt: skip
    ratings["rating"] = _floats(ratings["rating"])
    ratings["rating_scale"] = _floats(ratings["rating_scale"])
    ratings = ratings.sort_values(["touchpoint_id", "step_id"], na_position="last")
    return ratings.drop_duplicates("touchpoint_id").reset_index(drop=True)


def read_complaints(
    store: GraphStore,
    scope: list[str] | None = None,
    projected: facts_.Facts | None = None,
    *,
    coded: bool = False,
) -> pd.DataFrame:
    """Every complaint (of the customers in ``scope``, if given), from the facts projection
    ``projected`` when given (``coded``: customers as their codes)."""
    if projected is not None:
        found = from_facts.complaints(projected, COMPLAINT_KINDS, coded=coded)
        return _typed(found, COMPLAINT_COLUMNS, ("at",))
    return _scoped(
        store,
        scope,
        ("routing_complaints", "routing_customer_complaints"),
        COMPLAINT_COLUMNS,
        times=("at",),
        kinds=list(COMPLAINT_KINDS),
    )


def _scores(store: GraphStore, scope: list[str] | None) -> pd.DataFrame:
    return _scoped(
        store,
        scope,
        ("routing_customer_scores", "routing_customer_score"),
        ["customer_id", "current_value", "potential_value", "at_risk", "value_at"],
        times=("value_at",),
    )


def _existing_flags(store: GraphStore, scope: list[str] | None) -> pd.DataFrame:
    return _scoped(
        store,
        scope,
        ("routing_flags", "routing_customer_flags"),
        ["flag_id", "customer_id", "kind", "severity", "status", "raised_at", "reason"],
        kinds=list(FLAG_KINDS),
    )


def _step_owners(store: GraphStore, steps: pd.Series | None) -> pd.DataFrame:
    """Who owns each step: every step, or only ``steps`` (by key)."""
    columns = ["step_id", "department_id"]
    if steps is None:
        return projection(store, "routing_step_owners", columns)
    wanted = sorted(steps.dropna().unique())
    if not wanted:
        return _typed(pd.DataFrame(), columns, ())
    return projection(store, "routing_owners_of_steps", columns, step_ids=wanted)


def _promoters_now(ratings: pd.DataFrame) -> pd.Index:
    """The customers whose latest rating (by time, then touchpoint id) is a promoter's."""
    latest = ratings.sort_values(["customer_id", "at", "touchpoint_id"]).drop_duplicates(
        "customer_id", keep="last"
    )
    return pd.Index(latest["customer_id"][promoter(latest["rating"], latest["rating_scale"])])


def _fallback(departments: pd.DataFrame, asked: str | None, *, needed: bool) -> str | None:
    ids = departments["department_id"].tolist()
    if asked is not None:
        if asked not in ids:
            known = ", ".join(ids) or "none"
            raise NotFoundError(f"no department {asked!r} to fall back to (known: {known})")
        return asked
    if DEFAULT_FALLBACK in ids:
        return DEFAULT_FALLBACK
    if ids:
        return ids[0]
    if needed:
        raise NotFoundError(
            "poor ratings at unowned steps need a fallback department and the graph has no "
            "departments: load departments.csv"
        )
    return None


def _existing_actions(store: GraphStore, ids: pd.Series | None = None) -> pd.DataFrame:
    """The follow-up actions that exist already (every one, or those with these ``ids``):
    status and department, by action id."""
    columns = ["action_id", "status", "department_id"]
    if ids is None:
        actions = projection(store, "routing_actions", columns, kind=FOLLOW_UP_KIND)
    else:
        actions = projection(
            store, "routing_actions_by_id", columns, action_ids=list(ids), kind=FOLLOW_UP_KIND
        )
    return actions.drop_duplicates("action_id").set_index("action_id")


# --- flags ----------------------------------------------------------------------------------


def _flag_frame(
    kind: str, customers: pd.Series, ids: pd.Series, reasons: pd.Series, raised: Any
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "flag_id": ids.to_numpy(dtype=object),
            "customer_id": customers.to_numpy(dtype=object),
            "kind": kind,
            "severity": FLAG_KINDS[kind],
            "reason": reasons.to_numpy(dtype=object),
            "raised_at": pd.Series(raised, index=customers.index, dtype="datetime64[us]"),
        }
    ).reset_index(drop=True)


def _complaint_flags(complaints: pd.DataFrame) -> pd.DataFrame:
    found = complaints[unresolved(complaints["outcome"], complaints["resolution"])]
    subject = found["text"].astype("string").str.slice(0, 60)
    reason = (
        "unresolved "
        + found["kind"].astype("string")
        + " "
        + found["touchpoint_id"].astype("string")
        + (" '" + subject + "'").fillna("")
        + " of "
        + found["at"].dt.strftime("%Y-%m-%d")
        + ", status "
        + found["outcome"].astype("string").fillna("unknown")
    )
    ids = flag_id("unresolved_complaint", found["customer_id"], found["touchpoint_id"])
    return _flag_frame("unresolved_complaint", found["customer_id"], ids, reason, found["at"])


def _poor_rating_flags(poor: pd.DataFrame) -> pd.DataFrame:
    reason = "poor rating " + _rating_text(poor) + _where(poor)
    ids = flag_id("poor_rating", poor["customer_id"], poor["touchpoint_id"])
    return _flag_frame("poor_rating", poor["customer_id"], ids, reason, poor["at"])


def _at_risk_flags(scores: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    risky = scores[scores["at_risk"].fillna(0.0) > AT_RISK_THRESHOLD]
    reason = (
        "at-risk score "
        + _fixed(risky["at_risk"])
        + f" is above {AT_RISK_THRESHOLD:.2f} (scored "
        + risky["value_at"].dt.strftime("%Y-%m-%d")
        + ")"
    )
    ids = flag_id("at_risk", risky["customer_id"])
    return _flag_frame("at_risk", risky["customer_id"], ids, reason, now)


def _vip_flags(scores: pd.DataFrame, ratings: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    latest = (
        ratings.sort_values(["customer_id", "at", "touchpoint_id"])
        .drop_duplicates("customer_id", keep="last")
        .set_index("customer_id")
    )
    latest = latest[promoter(latest["rating"], latest["rating_scale"])]
    current = scores["current_value"].astype(float).fillna(0.0)
    potential = scores["potential_value"].astype(float).fillna(0.0)
    top_current = current.quantile(VIP_QUANTILE)
    top_potential = potential.quantile(VIP_QUANTILE)
    high_current = (current >= top_current) & (current > 0)
    high_potential = (potential >= top_potential) & (potential > 0)
    vip = scores[(high_current | high_potential) & member(scores["customer_id"], latest.index)]
    value = pd.Series(
        np.where(
            high_current[vip.index],
            "current value " + _fixed(current[vip.index]) + f" (top 10%: >= {top_current:.2f})",
            "potential value "
            + _fixed(potential[vip.index])
            + f" (top 10%: >= {top_potential:.2f})",
        ),
        index=vip.index,
        dtype="string",
    )
    rated = latest.loc[vip["customer_id"]].reset_index().set_index(vip.index)
    reason = "promoter: " + _rating_text(rated) + ", with " + value
    ids = flag_id("vip_candidate", vip["customer_id"])
    return _flag_frame("vip_candidate", vip["customer_id"], ids, reason, now)


def _plan_flags(
    wanted: pd.DataFrame, existing: pd.DataFrame, evaluated: list[str]
) -> dict[str, Any]:
    """Which flags to create, re-open, keep (reason refreshed) and resolve, with counts."""
    by_id = existing.set_index("flag_id")
    status = by_id["status"]
    known = member(wanted["flag_id"], status.index)
    is_open = wanted["flag_id"].map(status).eq("open")
    kept = wanted[known & is_open]
    plan = {
        "create": wanted[~known],
        "reopen": wanted[known & ~is_open],
        "keep": kept.assign(was=kept["flag_id"].map(by_id["reason"])),
        "resolve": existing[
            existing["status"].eq("open")
            & existing["kind"].isin(evaluated)
            & ~member(existing["flag_id"], wanted["flag_id"])
        ],
    }
    counts = {severity: {"raised": 0, "kept": 0, "resolved": 0} for severity in SEVERITIES}
    verbs = {"create": "raised", "reopen": "raised", "keep": "kept", "resolve": "resolved"}
    for part, verb in verbs.items():
        for severity, n in plan[part]["severity"].value_counts().items():
            counts.setdefault(severity, {"raised": 0, "kept": 0, "resolved": 0})[verb] += int(n)
    return {**plan, "counts": counts}


def _write_flags(store: GraphStore, plan: dict[str, Any]) -> None:
    write_flags(store, plan["create"].assign(status="open"), new=True)
    write_flags(store, plan["reopen"].assign(status="open"))
    keep = plan["keep"]
    keep = keep[keep["reason"].astype(object).ne(keep["was"].astype(object)).to_numpy()]
    write_flags(store, keep[["flag_id", "reason"]])  # only the kept flags whose reason changed
    write_flags(store, plan["resolve"][["flag_id"]].assign(status="resolved"))


# --- actions --------------------------------------------------------------------------------


def _write_actions(store: GraphStore, new: pd.DataFrame, now: dt.datetime) -> None:
    if new.empty:
        return
    reason = (
        "poor rating "
        + _rating_text(new)
        + _where(new)
        + ": routed to "
        + new["department_id"].astype("string")
        + " ("
        + new["routed_by"].astype("string")
        + ")"
    )
    links = new[["action_id", "customer_id", "department_id", "touchpoint_id"]]
    write_actions(
        store,
        links.assign(
            kind=FOLLOW_UP_KIND,
            status="outstanding",
            due_at=due_at(new["at"]),
            created_at=pd.Timestamp(now),
            reason=reason,
        ),
    )


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


# --- small helpers --------------------------------------------------------------------------


def member(values: pd.Series, members: Any) -> np.ndarray:
    """``values.isin(members)`` through hash tables of Python objects: pandas' Arrow-string
    ``isin`` walks ``members`` in Python, which costs seconds at a million members."""
    found = values.astype(object).isin(pd.Index(members, dtype=object))
    return found.to_numpy(dtype=bool)


def _rating_text(frame: pd.DataFrame) -> pd.Series:
    """``2/5 on survey:R1 (2026-09-01)`` for each rating."""
    return (
        _number(frame["rating"])
        + "/"
        + _number(frame["rating_scale"])
        + " on "
        + frame["touchpoint_id"].astype("string")
        + " ("
        + frame["at"].dt.strftime("%Y-%m-%d")
        + ")"
    )


def _where(frame: pd.DataFrame) -> pd.Series:
    return (" at step " + frame["step"].astype("string")).fillna(" at no journey step")


def _number(values: pd.Series) -> pd.Series:
    """Whole numbers without a decimal point, others as they are (vectorised)."""
    numbers = values.astype(float)
    whole = numbers.round().astype("Int64").astype("string")
    return whole.where(numbers == numbers.round(), numbers.astype("string"))


def _fixed(values: pd.Series, decimals: int = 2) -> pd.Series:
    """Non-negative numbers with ``decimals`` decimals (vectorised, no per-row formatting)."""
    scale = 10**decimals
    scaled = (values.astype(float) * scale).round().astype("int64")
    whole, part = scaled // scale, scaled % scale
    return whole.astype("string") + "." + part.astype("string").str.zfill(decimals)


def _floats(values: Any) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(float)
