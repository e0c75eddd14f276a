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

from graph360.analytics.routing.reading import projection, rated_touchpoints, read_complaints
from graph360.analytics.routing.rules import (
    AT_RISK_THRESHOLD,
    RESOLVED_OUTCOMES,
    action_id,
    due_at,
    flag_id,
    poor_rating,
    promoter,
    route,
    unresolved,
)
from graph360.analytics.routing.run import RuleChanges, RulesReport, route_now, run_rules
from graph360.model import COMPLAINT_KINDS

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
    "projection",
    "promoter",
    "rated_touchpoints",
    "read_complaints",
    "route",
    "route_now",
    "run_rules",
    "unresolved",
]
