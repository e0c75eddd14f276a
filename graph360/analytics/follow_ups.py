"""Flags and actions: the one module that writes Flag and Action nodes and their links.

What someone must do next for a customer is written from two places: the routing rules
(graph360.analytics.routing) raise, re-open and resolve flags and create follow-up actions in
bulk, and people raise flags and create actions by hand (the API's ``raiseFlag`` and
``createAction``), then resolve and complete them. Both go through here, so a Flag or an Action
has one shape, typed by the model (graph360.model), whoever writes it: a Flag is ``FLAGGED``
from its customer; an Action is ``NEEDS``-ed by its customer, ``ASSIGNED_TO`` a department and
``TRIGGERED_BY`` a touchpoint when it has them.

Hand-made ids are random (``flag:manual:<customer_id>:<12 hex>``, ``action:manual:<16 hex>``);
the rules' ids are deterministic (routing's docstring), so a rule never touches a hand-made one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pandas as pd
import pyarrow as pa

from graph360 import model
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.periods import utc_now
from graph360.store.base import GraphStore

#: The flag kinds the routing rules manage, with their severity: not raised by hand.
FLAG_KINDS = {
    "unresolved_complaint": "red",
    "poor_rating": "red",
    "at_risk": "amber",
    "vip_candidate": "green",
}
SEVERITIES = ("red", "amber", "green")

FLAG, ACTION = model.node("Flag"), model.node("Action")
FLAGGED, NEEDS = model.relationship("FLAGGED"), model.relationship("NEEDS")
ASSIGNED_TO, TRIGGERED_BY = model.relationship("ASSIGNED_TO"), model.relationship("TRIGGERED_BY")


def write_flags(store: GraphStore, flags: pd.DataFrame, *, new: bool = False) -> None:
    """Upsert ``flags`` by ``flag_id``: each row sets the Flag properties it has columns for.
    ``new``: they are new flags, each linked from its ``customer_id`` (FLAGGED)."""
    if flags.empty:
        return
    store.upsert_nodes(FLAG.label, _table(FLAG.arrow_schema(), flags))
    if new:
        _link(store, FLAGGED, flags, "customer_id", "flag_id")


def write_actions(store: GraphStore, actions: pd.DataFrame) -> None:
    """Upsert new ``actions`` by ``action_id`` with their links: NEEDS from ``customer_id``,
    ASSIGNED_TO ``department_id`` and TRIGGERED_BY ``touchpoint_id`` where those are given."""
    if actions.empty:
        return
    store.upsert_nodes(ACTION.label, _table(ACTION.arrow_schema(), actions))
    _link(store, NEEDS, actions, "customer_id", "action_id")
    for rel, column in ((ASSIGNED_TO, "department_id"), (TRIGGERED_BY, "touchpoint_id")):
        if column in actions:
            _link(store, rel, actions.dropna(subset=[column]), "action_id", column)


def raise_flag(
    store: GraphStore,
    customer_id: str,
    kind: str,
    severity: str,
    reason: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Raise a flag by hand, open from ``now``; the flag as the card reads it (customer_flags).
    A kind the rules manage, or none, is refused: the next run would resolve it."""
    kind = kind.strip()
    if not kind or kind in FLAG_KINDS:
        raise InvalidRequestError(
            f"flag kind {kind!r} is managed by the rules ({', '.join(FLAG_KINDS)}) "
            "or empty: choose another kind"
        )
    if severity not in SEVERITIES:
        raise InvalidRequestError(f"severity must be one of {', '.join(SEVERITIES)}")
    _must_exist(store, "Customer", customer_id, "customer")
    flag_id = f"flag:manual:{customer_id}:{uuid.uuid4().hex[:12]}"
    row = {"flag_id": flag_id, "customer_id": customer_id, "kind": kind, "severity": severity}
    row |= {"reason": reason, "raised_at": now or utc_now(), "status": "open"}
    with store.atomic():
        write_flags(store, pd.DataFrame([row]), new=True)
    return _row(store, "customer_flags", customer_id, "flag_id", flag_id)


def create_action(
    store: GraphStore,
    customer_id: str,
    kind: str,
    reason: str,
    *,
    department_id: str | None = None,
    due_at: dt.datetime | None = None,
    touchpoint_id: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Create an action by hand (``new``), for a department and from a touchpoint if given;
    the action as the card reads it (customer_actions)."""
    if not kind.strip():
        raise InvalidRequestError("an action needs a kind")
    _must_exist(store, "Customer", customer_id, "customer")
    if department_id is not None:
        _must_exist(store, "Department", department_id, "department")
    if touchpoint_id is not None:
        _must_exist(store, "Touchpoint", touchpoint_id, "touchpoint")
    action_id = f"action:manual:{uuid.uuid4().hex[:16]}"
    row = {"action_id": action_id, "kind": kind.strip(), "status": "new", "reason": reason}
    row |= {"due_at": due_at, "created_at": now or utc_now(), "customer_id": customer_id}
    row |= {"department_id": department_id, "touchpoint_id": touchpoint_id}
    with store.atomic():
        write_actions(store, pd.DataFrame([row]))
    return _row(store, "customer_actions", customer_id, "action_id", action_id)


def resolve_flag(store: GraphStore, flag_id: str) -> dict[str, Any]:
    """Set a flag ``resolved``; the flag as the card reads it."""
    rows = store.write("flag_set_status", flag_id=flag_id, status="resolved")
    if not rows:
        raise NotFoundError(f"no flag {flag_id!r}")
    return rows[0]


def complete_action(store: GraphStore, action_id: str) -> dict[str, Any]:
    """Set an action ``done``; the action as the card reads it."""
    rows = store.write("action_set_status", action_id=action_id, status="done")
    if not rows:
        raise NotFoundError(f"no action {action_id!r}")
    return rows[0]


def _table(schema: pa.Schema, frame: pd.DataFrame) -> pa.Table:
    """The columns of ``frame`` that ``schema`` has, typed as it types them (missing: null)."""
    return pa.table(
        {
            name: pa.array(_values(frame[name]), schema.field(name).type)
            for name in schema.names
            if name in frame
        }
    )


def _link(store: GraphStore, rel: model.RelType, frame: pd.DataFrame, start: str, end: str) -> None:
    if not frame.empty:
        ends = {"from": _values(frame[start]), "to": _values(frame[end])}
        store.upsert_relationships(rel.type, pa.table(ends, rel.arrow_schema()))


def _values(column: pd.Series) -> list[Any]:
    """A column's values as Python objects, a missing one (None, NaN, NaT, NA) as None."""
    return column.astype(object).where(column.notna(), None).tolist()


def _must_exist(store: GraphStore, label: str, key: str, what: str) -> None:
    if not len(store.existing_keys(label, pa.array([key]))):
        raise NotFoundError(f"no {what} {key!r}")


def _row(store: GraphStore, query: str, customer_id: str, key: str, value: str) -> dict[str, Any]:
    """The row of ``query`` (one customer's flags or actions) whose ``key`` is ``value``."""
    return next(r for r in store.query(query, customer_id=customer_id) if r[key] == value)
