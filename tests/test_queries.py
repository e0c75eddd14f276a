"""Every named query, run on the tiny bundle, with exact expected answers.

The tiny bundle's people: Ada (records crm:1, shop:A-77 by e-mail, support:Z9 by phone),
Grace (crm:2), Alan (crm:3), and three placeholder records sharing test@example.com.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pytest

from graph360 import named_queries
from graph360.ingest.identity import customer_id_for

ADA, GRACE, ALAN = customer_id_for("crm:1"), customer_id_for("crm:2"), customer_id_for("crm:3")
PLACEHOLDERS = {customer_id_for(f"crm:{i}") for i in (4, 5, 6)}


def test_every_query_documents_its_parameters_and_rows() -> None:
    for name in named_queries.names():
        for backend in ("ladybug", "neo4j"):
            query = named_queries.get(name, backend)
            header = query.text.split("\n")
            start = next((i for i, h in enumerate(header) if h.startswith("// params:")), None)
            assert start is not None, f"{name}: no '// params:' line"
            end = next((i for i, h in enumerate(header) if h.startswith("// returns:")), None)
            assert end is not None and end > start, f"{name}: no '// returns:' after params"
            params_text = " ".join(header[start:end])  # the params may run over several lines
            declared = set(re.findall(r"\$([A-Za-z_]\w*)", params_text))
            assert declared == set(query.parameters), f"{name}: params line vs text"


def test_every_query_is_tested_by_name() -> None:
    """Each named query has a ``test_<name>`` somewhere in tests/ that checks exact answers."""
    text = "".join(path.read_text() for path in Path(__file__).parent.glob("test_*.py"))
    untested = [name for name in named_queries.names() if f"test_{name}" not in text]
    assert not untested, untested


def test_identity_records(tiny) -> None:
    graph, _ = tiny
    rows = {r["record_key"]: r for r in graph.query("identity_records")}
    assert {k: r["customer_id"] for k, r in rows.items()} == {
        "crm:1": ADA,
        "shop:A-77": ADA,
        "support:Z9": ADA,
        "crm:2": GRACE,
        "crm:3": ALAN,
        "crm:4": customer_id_for("crm:4"),
        "crm:5": customer_id_for("crm:5"),
        "crm:6": customer_id_for("crm:6"),
    }
    assert rows["support:Z9"]["phone"] == "+442079460001"
    assert rows["shop:A-77"]["email"] == "ada@example.org"
    assert (rows["support:Z9"]["name"], rows["crm:2"]["name"]) == ("A. Lovelace", "Grace Hopper")


def test_customer_profile(tiny) -> None:
    graph, _ = tiny
    (ada,) = graph.query("customer_profile", customer_id=ADA)
    assert ada["name"] == "Ada Lovelace"
    assert ada["email"] == "ada@example.org"
    assert ada["phone"] == "+442079460001"
    assert ada["birth_date"] == dt.datetime(1985, 12, 10)
    assert ada["created_at"] == dt.datetime(2023, 1, 5)
    assert (ada["city"], ada["country"], ada["segment"]) == ("London", "GB", "premium")
    assert ada["attributes"] is None  # loyalty_tier lives on the crm:1 record
    assert ada["pagerank"] is None
    assert graph.query("customer_profile", customer_id="C-NOBODY") == []


def test_customer_by_record(tiny) -> None:
    graph, _ = tiny
    assert graph.query("customer_by_record", record_key="support:Z9") == [{"customer_id": ADA}]
    assert graph.query("customer_by_record", record_key="crm:99") == []


def test_customers_by_email(tiny) -> None:
    graph, _ = tiny
    assert graph.query("customers_by_email", email="ada@example.org") == [{"customer_id": ADA}]
    shared = graph.query("customers_by_email", email="test@example.com")
    assert {r["customer_id"] for r in shared} == PLACEHOLDERS


def test_customer_records(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("customer_records", customer_id=ADA)
    assert [(r["record_key"], r["rule"], r["via"]) for r in rows] == [
        ("crm:1", "source_id", None),
        ("shop:A-77", "email", "crm:1"),
        ("support:Z9", "phone", "crm:1"),
    ]
    assert rows[0]["attributes"] == '{"loyalty_tier": "gold"}'
    assert rows[2]["name"] == "A. Lovelace"


def test_customer_accounts(tiny) -> None:
    graph, _ = tiny
    (account,) = graph.query("customer_accounts", customer_id=ADA)
    assert account["account_id"] == "ACC1"
    assert account["value"] == pytest.approx(1200.5)
    assert (account["role"], account["department"]) == ("owner", "Retail Sales")
    assert account["opened_at"] == dt.datetime(2023, 1, 10)


def test_customer_relationships(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("customer_relationships", customer_id=ADA)
    got = sorted((r["direction"], r["kind"], r["customer_id"], r["weight"]) for r in rows)
    assert got == [("in", "follows", ALAN, None), ("in", "referred", GRACE, 1.0)]
    rows = graph.query("customer_relationships", customer_id=ALAN)
    got = sorted((r["direction"], r["kind"], r["customer_id"], r["weight"]) for r in rows)
    assert got == [("out", "follows", ADA, None), ("out", "knows", GRACE, 2.5)]


def test_customer_touchpoints(tiny) -> None:
    graph, _ = tiny
    first, last = dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)
    page = dict(customer_id=ADA, channel="", kind="", since=first, until=last, before_id="")
    rows = graph.query("customer_touchpoints", **page, limit=3, before_at=last)
    assert [r["touchpoint_id"] for r in rows] == ["T5", "T3", "T2"]
    after_t3 = page | {"before_at": rows[1]["at"], "before_id": "T3"}
    assert [
        r["touchpoint_id"] for r in graph.query("customer_touchpoints", **after_t3, limit=9)
    ] == [
        "T2",
        "T1",
    ]
    by_kind = page | {"kind": rows[0]["kind"], "before_at": last}
    assert [
        r["touchpoint_id"] for r in graph.query("customer_touchpoints", **by_kind, limit=9)
    ] == ["T5"]
    t5, t3, _ = rows
    assert (t5["resolution"], t5["outcome"], t5["source"]) == (
        "refund issued",
        "resolved",
        "support",
    )
    assert t3["outcome"] == "abandoned"
    from graph360.analytics.card import recent_touchpoints

    everything = recent_touchpoints(graph, ADA, 10)
    assert [
        (r["touchpoint_id"], r["campaign"], r["step"], r["department"]) for r in everything
    ] == [
        ("T5", None, None, "Customer Care"),
        ("T3", None, "Abandoned checkout follow-up", None),
        ("T2", None, "Add to cart", None),
        ("T1", "Spring sale", "Browse", "Lifecycle CRM"),
    ]
    window = recent_touchpoints(
        graph, ADA, 10, since=dt.datetime(2024, 3, 3), before=(everything[0]["at"], "T5")
    )
    assert [r["touchpoint_id"] for r in window] == ["T3", "T2"]


def test_customer_touchpoint_ids_at(tiny) -> None:
    graph, _ = tiny
    last = dt.datetime(9999, 12, 31)
    page = dict(customer_id=ADA, channel="", kind="", since=dt.datetime(1, 1, 1), until=last)
    _, t3 = graph.query("customer_touchpoints", **page, limit=2, before_at=last, before_id="")
    assert graph.query("customer_touchpoint_ids_at", customer_id=ADA, at=t3["at"]) == [
        {"touchpoint_id": "T3"}
    ]
    assert graph.query("customer_touchpoint_ids_at", customer_id=GRACE, at=t3["at"]) == []
    assert graph.query("customer_touchpoint_ids_at", customer_id=ADA, at=last) == []


def test_customer_activity(tiny) -> None:
    graph, _ = tiny
    since = dt.datetime(2024, 3, 3)
    (ada,) = graph.query("customer_activity", customer_id=ADA, since=since)
    assert ada == {
        "touchpoints": 4,
        "recent_touchpoints": 3,
        "first_at": dt.datetime(2024, 3, 2, 9, 15),
        "last_at": dt.datetime(2024, 3, 11, 10, 0),
    }
    (alan,) = graph.query("customer_activity", customer_id=ALAN, since=since)
    assert alan["touchpoints"] == 2  # T6 and T11; T7 (rating 7 of 5), T8, T9, T10 rejected
    assert alan["recent_touchpoints"] == 2
    (nobody,) = graph.query("customer_activity", customer_id=GRACE, since=since)
    assert nobody["touchpoints"] == 0


def _flag_and_action(graph) -> None:
    """Flags and actions are written by the analytics; here, directly through the store."""
    graph.upsert_nodes(
        "Flag",
        pa.table(
            {
                "flag_id": ["F1", "F2"],
                "kind": ["complaint", "vip"],
                "severity": ["red", "green"],
                "reason": ["poor NPS", "promoter"],
                "status": ["open", "open"],
                "raised_at": pa.array([dt.datetime(2024, 3, 10), dt.datetime(2024, 3, 1)]),
            }
        ),
    )
    graph.upsert_relationships("FLAGGED", pa.table({"from": [GRACE, GRACE], "to": ["F2", "F1"]}))
    graph.upsert_nodes(
        "Action",
        pa.table(
            {
                "action_id": ["A1", "A2"],
                "kind": ["call back", "survey"],
                "status": ["done", "outstanding"],
                "reason": ["x", "poor NPS"],
            }
        ),
    )
    graph.upsert_relationships("NEEDS", pa.table({"from": [GRACE, GRACE], "to": ["A1", "A2"]}))
    graph.upsert_relationships("ASSIGNED_TO", pa.table({"from": ["A2"], "to": ["care"]}))


def test_customer_flags(store) -> None:
    from helpers import TINY

    from graph360.ingest.load import load_bundle

    load_bundle(store, TINY, rejects_path=None, max_shared=2)
    _flag_and_action(store)
    rows = store.query("customer_flags", customer_id=GRACE)
    assert [(r["flag_id"], r["severity"]) for r in rows] == [("F1", "red"), ("F2", "green")]
    rows = store.query("customer_actions", customer_id=GRACE)
    assert [(r["action_id"], r["status"], r["department"]) for r in rows] == [
        ("A2", "outstanding", "Customer Care"),
        ("A1", "done", None),
    ]
    assert store.query("customer_flags", customer_id=ADA) == []


test_customer_actions = test_customer_flags


def test_customer_journey_touchpoints(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("customer_journey_touchpoints", customer_id=ADA)
    got = sorted((r["journey_id"], r["step_id"], r["position"], r["at"]) for r in rows)
    assert got == [
        ("buy", "buy-1", 1, dt.datetime(2024, 3, 2, 9, 15)),
        ("buy", "buy-2", 2, dt.datetime(2024, 3, 3, 12, 0)),
        ("buy", "buy-4", 4, dt.datetime(2024, 3, 3, 12, 5)),
    ]
    assert graph.query("customer_journey_touchpoints", customer_id=GRACE) == []
    from graph360.analytics.card import current_journey_steps

    (ada,) = current_journey_steps(graph, ADA)
    assert (ada["journey_id"], ada["step_id"], ada["owners"], ada["unowned"]) == (
        "buy",
        "buy-4",
        [],
        True,
    )


def test_step_owners(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("step_owners", step_ids=["buy-3", "buy-4", "buy-1"])
    assert [(r["step_id"], r["department"]) for r in rows] == [
        ("buy-1", "Lifecycle CRM"),
        ("buy-3", "Customer Care"),
        ("buy-3", "Retail Sales"),
    ]


def test_customer_touchpoint_campaigns(tiny) -> None:
    graph, _ = tiny
    ids = ["T1", "T2", "T3", "T5"]
    links = {
        query: {
            r["touchpoint_id"]: r["name"]
            for r in graph.query(query, customer_id=ADA, touchpoint_ids=ids)
        }
        for query in (
            "customer_touchpoint_campaigns",
            "customer_touchpoint_steps",
            "customer_touchpoint_departments",
        )
    }
    assert links["customer_touchpoint_campaigns"] == {"T1": "Spring sale"}
    assert links["customer_touchpoint_steps"] == {
        "T1": "Browse",
        "T2": "Add to cart",
        "T3": "Abandoned checkout follow-up",
    }
    assert links["customer_touchpoint_departments"] == {
        "T1": "Lifecycle CRM",
        "T5": "Customer Care",
    }
    # another customer's touchpoint is never answered for this one
    assert graph.query("customer_touchpoint_steps", customer_id=GRACE, touchpoint_ids=ids) == []


test_customer_touchpoint_steps = test_customer_touchpoint_departments = (
    test_customer_touchpoint_campaigns
)


def test_customer_campaigns(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("customer_campaigns", customer_id=ADA)
    assert [(r["campaign_id"], r["department"]) for r in rows] == [
        ("CMP1", "Lifecycle CRM"),
        ("CMP2", "Newsroom"),
    ]
    rows = graph.query("customer_campaigns", customer_id=GRACE)
    assert [(r["campaign_id"], r["added_at"]) for r in rows] == [("CMP2", None)]


def test_demo_sample_customers(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("demo_sample_customers", limit=2)
    assert rows[0] == {"ref": "ada@example.org", "records": 3}
    assert rows[1]["records"] == 1
