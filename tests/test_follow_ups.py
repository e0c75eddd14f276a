"""Flags and actions written by hand, through the one module that writes them.

The graph: customer ``c1``, department ``care`` (named Customer care) and touchpoint ``t1``.
The rules' own writes through the same module are tested in tests/test_routing.py.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from graph360.analytics import follow_ups
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.store import GraphStore

NOW = dt.datetime(2026, 10, 1, 12, 0)
DUE = dt.datetime(2026, 10, 3, 9, 0)


@pytest.fixture
def graph(store: GraphStore) -> GraphStore:
    with store.atomic():
        store.upsert_nodes("Customer", pa.table({"customer_id": ["c1"]}))
        store.upsert_nodes(
            "Department", pa.table({"department_id": ["care"], "name": ["Customer care"]})
        )
        store.upsert_nodes("Touchpoint", pa.table({"touchpoint_id": ["t1"]}))
    return store


def pairs(graph: GraphStore, rel_type: str) -> list[tuple[str, str]]:
    frame = graph.all_relationships(rel_type)
    return sorted(zip(frame["from"], frame["to"], strict=True))


def test_a_flag_raised_by_hand_is_open_and_linked_from_its_customer(graph: GraphStore) -> None:
    row = follow_ups.raise_flag(graph, "c1", " vip ", "green", "asked for the manager", NOW)
    flag_id = row.pop("flag_id")
    assert flag_id.startswith("flag:manual:c1:") and len(flag_id) == len("flag:manual:c1:") + 12
    assert row == {
        "kind": "vip",
        "severity": "green",
        "reason": "asked for the manager",
        "raised_at": NOW,
        "status": "open",
    }
    assert pairs(graph, "FLAGGED") == [("c1", flag_id)]
    resolved = follow_ups.resolve_flag(graph, flag_id)
    assert (resolved["flag_id"], resolved["status"]) == (flag_id, "resolved")


@pytest.mark.parametrize(
    ("kind", "severity", "customer", "error", "message"),
    [
        ("poor_rating", "red", "c1", InvalidRequestError, "managed by the rules"),
        ("  ", "red", "c1", InvalidRequestError, "or empty"),
        ("vip", "purple", "c1", InvalidRequestError, "severity must be one of red, amber, green"),
        ("vip", "red", "nobody", NotFoundError, "no customer 'nobody'"),
    ],
)
def test_a_flag_the_rules_manage_or_for_nobody_is_refused(
    graph: GraphStore, kind: str, severity: str, customer: str, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        follow_ups.raise_flag(graph, customer, kind, severity, "why")
    assert graph.counts()["nodes"]["Flag"] == 0


def test_an_action_by_hand_is_new_with_its_department_and_touchpoint(graph: GraphStore) -> None:
    row = follow_ups.create_action(
        graph,
        "c1",
        " call back ",
        "wants a call",
        department_id="care",
        due_at=DUE,
        touchpoint_id="t1",
        now=NOW,
    )
    action_id = row.pop("action_id")
    assert action_id.startswith("action:manual:") and len(action_id) == len("action:manual:") + 16
    assert row == {
        "kind": "call back",
        "status": "new",
        "reason": "wants a call",
        "due_at": DUE,
        "created_at": NOW,
        "department": "Customer care",
    }
    assert pairs(graph, "NEEDS") == [("c1", action_id)]
    assert pairs(graph, "ASSIGNED_TO") == [(action_id, "care")]
    assert pairs(graph, "TRIGGERED_BY") == [(action_id, "t1")]
    done = follow_ups.complete_action(graph, action_id)
    assert (done["action_id"], done["status"]) == (action_id, "done")


def test_an_action_for_no_one_in_particular_has_no_department_or_touchpoint(
    graph: GraphStore,
) -> None:
    row = follow_ups.create_action(graph, "c1", "check", "why", now=NOW)
    assert (row["department"], row["due_at"]) == (None, None)
    assert (pairs(graph, "ASSIGNED_TO"), pairs(graph, "TRIGGERED_BY")) == ([], [])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"department_id": "nowhere"}, "no department 'nowhere'"),
        ({"touchpoint_id": "t9"}, "no touchpoint 't9'"),
        ({"kind": " "}, "an action needs a kind"),
    ],
)
def test_an_action_naming_what_does_not_exist_is_refused(
    graph: GraphStore, options: dict, message: str
) -> None:
    arguments = {"kind": "check", **options}
    with pytest.raises((NotFoundError, InvalidRequestError), match=message):
        follow_ups.create_action(graph, "c1", reason="why", **arguments)
    assert graph.counts()["nodes"]["Action"] == 0


def test_unknown_ids_are_not_found(graph: GraphStore) -> None:
    with pytest.raises(NotFoundError, match="no flag 'f9'"):
        follow_ups.resolve_flag(graph, "f9")
    with pytest.raises(NotFoundError, match="no action 'a9'"):
        follow_ups.complete_action(graph, "a9")


def test_writing_some_columns_leaves_the_others_as_they_were(graph: GraphStore) -> None:
    """What the rules do to a kept flag (a new reason) or a resolved one (its status)."""
    row = follow_ups.raise_flag(graph, "c1", "vip", "green", "first", NOW)
    change = pd.DataFrame({"flag_id": [row["flag_id"]], "reason": ["second"]})
    with graph.atomic():
        follow_ups.write_flags(graph, change)
    (after,) = graph.query("customer_flags", customer_id="c1")
    assert after == row | {"reason": "second"}
    assert pairs(graph, "FLAGGED") == [("c1", row["flag_id"])]
