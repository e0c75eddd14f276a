"""Exact answers of the named queries the API adds (search, ownership and status changes)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from helpers import TINY

from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle

ADA, GRACE, ALAN = customer_id_for("crm:1"), customer_id_for("crm:2"), customer_id_for("crm:3")


def _page(graph, **filters) -> list[str]:
    params = {"search": "", "by_name": True, "exact": "", "segment": "", "flagged": ""}
    params |= {"after": "", "limit": 100} | filters
    return [r["customer_id"] for r in graph.query("customers_page", **params)]


def _flag(graph, flag_id: str, customer: str, severity: str, status: str) -> None:
    graph.upsert_nodes(
        "Flag",
        pa.table(
            {
                "flag_id": [flag_id],
                "kind": ["call back"],
                "severity": [severity],
                "reason": ["asked"],
                "status": [status],
                "raised_at": pa.array([dt.datetime(2024, 3, 1)]),
            }
        ),
    )
    graph.upsert_relationships("FLAGGED", pa.table({"from": [customer], "to": [flag_id]}))


def test_customers_page(store) -> None:
    load_bundle(store, TINY, rejects_path=None, max_shared=2)
    everyone = _page(store)
    assert everyone == sorted(everyone) and {ADA, GRACE, ALAN} <= set(everyone)
    assert _page(store, limit=2) == everyone[:2]
    assert _page(store, after=everyone[1]) == everyone[2:]
    assert _page(store, search="lovelace") == [ADA]
    assert _page(store, search="r", segment="standard") == sorted([GRACE, ALAN])
    assert _page(store, search=ALAN.lower(), exact=ALAN) == [ALAN]  # an id matches exactly
    assert _page(store, search=ADA, by_name=False, exact=ADA) == [ADA]
    assert _page(store, search="nobody", by_name=False, exact="") == []
    _flag(store, "F-red", GRACE, "red", "open")
    _flag(store, "F-amber", ALAN, "amber", "open")
    _flag(store, "F-gone", ADA, "red", "resolved")
    assert _page(store, flagged="any") == sorted([GRACE, ALAN])
    assert _page(store, flagged="red") == [GRACE]
    assert _page(store, flagged="green") == []


def test_step_detail(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("step_detail", step_id="buy-3")
    assert [(r["step"], r["journey_id"], r["department_id"]) for r in rows] == [
        ("Checkout", "buy", "care"),
        ("Checkout", "buy", "sales"),
    ]
    (unowned,) = graph.query("step_detail", step_id="buy-4")
    assert (unowned["step"], unowned["department_id"]) == ("Abandoned checkout follow-up", None)
    assert graph.query("step_detail", step_id="nowhere") == []


def test_step_owner_assign(store) -> None:
    load_bundle(store, TINY, rejects_path=None, max_shared=2)
    assert store.write("step_owner_assign", step_id="buy-4", department_id="care") == [
        {"step_id": "buy-4", "department_id": "care"}
    ]
    store.write("step_owner_assign", step_id="buy-4", department_id="care")  # twice: one owner
    owners = [r["department_id"] for r in store.query("step_detail", step_id="buy-4")]
    assert owners == ["care"]
    assert store.write("step_owner_assign", step_id="buy-4", department_id="ghost") == []
    assert store.write("step_owner_assign", step_id="nowhere", department_id="care") == []


def test_step_owner_remove(store) -> None:
    load_bundle(store, TINY, rejects_path=None, max_shared=2)
    removed = store.write("step_owner_remove", step_id="buy-3", department_id="care")
    assert removed == [{"step_id": "buy-3", "department_id": "care"}]
    owners = [r["department_id"] for r in store.query("step_detail", step_id="buy-3")]
    assert owners == ["sales"]
    assert store.write("step_owner_remove", step_id="buy-3", department_id="care") == []


def test_flag_set_status(store) -> None:
    load_bundle(store, TINY, rejects_path=None, max_shared=2)
    _flag(store, "F1", GRACE, "red", "open")
    (row,) = store.write("flag_set_status", flag_id="F1", status="resolved")
    assert (row["customer_id"], row["status"], row["severity"]) == (GRACE, "resolved", "red")
    assert store.query("customer_flags", customer_id=GRACE)[0]["status"] == "resolved"
    assert store.write("flag_set_status", flag_id="nope", status="resolved") == []


def test_action_set_status(store) -> None:
    load_bundle(store, TINY, rejects_path=None, max_shared=2)
    store.upsert_nodes(
        "Action", pa.table({"action_id": ["A1"], "kind": ["call back"], "status": ["new"]})
    )
    store.upsert_relationships("NEEDS", pa.table({"from": [ALAN], "to": ["A1"]}))
    store.upsert_relationships("ASSIGNED_TO", pa.table({"from": ["A1"], "to": ["care"]}))
    (row,) = store.write("action_set_status", action_id="A1", status="done")
    assert (row["customer_id"], row["status"], row["department"]) == (ALAN, "done", "Customer Care")
    assert store.write("action_set_status", action_id="nope", status="done") == []
