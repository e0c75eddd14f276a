"""Recording one touchpoint: the loader's rules and identity resolution, routing at once.

Every test starts from the tiny bundle (see tests/test_queries.py for its people: Ada with
records crm:1, shop:A-77 and support:Z9; Grace crm:2; Alan crm:3; three placeholders sharing
test@example.com), loaded with ``max_shared=2`` as the ``tiny`` fixture loads it. Its steps:
buy-1 owned by crm-team, buy-2 by sales, buy-3 by sales and care (a conflict), buy-4 unowned;
its departments care, crm-team, news and sales (no customer_care: the fallback is ``care``,
the first by id).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from helpers import TINY, snapshot

from graph360.analytics.routing import route_now, run_rules
from graph360.errors import Graph360Error, InvalidRecordError, StoreError
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.ingest.realtime import RecordResult, record_touchpoint
from graph360.store import GraphStore

ADA, GRACE, ALAN = customer_id_for("crm:1"), customer_id_for("crm:2"), customer_id_for("crm:3")
NOW = dt.datetime(2024, 4, 2, 9, 0)


@pytest.fixture
def graph(store: GraphStore, tmp_path: Path) -> GraphStore:
    """A fresh store per test (recording writes) holding the tiny bundle."""
    load_bundle(store, TINY, rejects_path=tmp_path / "rejects.csv", max_shared=2)
    return store


def touchpoint(tid: str = "RT1", **fields: Any) -> dict[str, Any]:
    return {
        "touchpoint_id": tid,
        "at": "2024-04-01T10:00:00Z",
        "channel": "web",
        "kind": "view",
    } | (fields)


def record(graph: GraphStore, tp: dict[str, Any], **options: Any) -> RecordResult:
    """Record ``tp`` as the API does, routed at once (``router=None``: not routed)."""
    options = {"max_shared": 2, "now": NOW, "router": route_now, **options}
    return record_touchpoint(graph, tp, **options)


def had(graph: GraphStore, tid: str) -> list[str]:
    frame = graph.all_relationships("HAD")
    return sorted(frame["from"][frame["to"] == tid])


def records_of(graph: GraphStore, customer_id: str) -> list[tuple[str, str, str | None]]:
    rows = graph.query("customer_records", customer_id=customer_id)
    return sorted((r["record_key"], r["rule"], r["via"]) for r in rows)


# --- whose touchpoint it is ------------------------------------------------------------------


def test_a_known_customer_by_source_id(graph: GraphStore) -> None:
    result = record(graph, touchpoint(source="support", customer_id="Z9", text="Called"))
    assert (result.touchpoint_id, result.customer_id) == ("RT1", ADA)
    assert (result.customer, result.touchpoint_created) == ("existing", True)
    assert result.record_key is None and result.merged_customer_ids == []
    assert had(graph, "RT1") == [ADA]
    stored = graph.all_nodes("Touchpoint").set_index("touchpoint_id").loc["RT1"]
    assert (stored["at"], stored["channel"], stored["text"]) == (
        dt.datetime(2024, 4, 1, 10),
        "web",
        "Called",
    )


def test_a_known_customer_by_email_in_any_letter_case(graph: GraphStore) -> None:
    result = record(graph, touchpoint(email=" Ada@Example.org "))
    assert (result.customer_id, result.customer) == (ADA, "existing")
    assert had(graph, "RT1") == [ADA]


def test_a_new_person_creates_a_customer(graph: GraphStore) -> None:
    before = graph.counts()["nodes"]["Customer"]
    result = record(
        graph,
        touchpoint(),  # no reference of its own: it refers to the record given
        customer={
            "source": "desk",
            "customer_id": "42",
            "name": "Mary Somerville",
            "email": "mary@example.org",
            "country": "GB",
            "loyalty": "new",
        },
    )
    mary = customer_id_for("desk:42")
    assert (result.customer_id, result.customer) == (mary, "created")
    assert (result.record_key, result.rule, result.via) == ("desk:42", "source_id", None)
    assert graph.counts()["nodes"]["Customer"] == before + 1
    assert had(graph, "RT1") == [mary]
    (profile,) = graph.query("customer_profile", customer_id=mary)
    assert (profile["name"], profile["email"], profile["country"]) == (
        "Mary Somerville",
        "mary@example.org",
        "GB",
    )
    record_row = graph.all_nodes("SourceRecord").set_index("record_key").loc["desk:42"]
    assert record_row["loaded_at"] == NOW
    assert record_row["attributes"] == '{"loyalty": "new"}'


def test_a_new_record_joins_a_customer_by_email(graph: GraphStore) -> None:
    result = record(
        graph,
        touchpoint(),
        customer={"source": "desk", "customer_id": "9", "email": "GRACE@example.org"},
    )
    assert (result.customer_id, result.customer) == (GRACE, "joined")
    assert (result.rule, result.via) == ("email", "crm:2")
    assert records_of(graph, GRACE) == [("crm:2", "source_id", None), ("desk:9", "email", "crm:2")]
    assert had(graph, "RT1") == [GRACE]


def test_a_new_record_bridging_two_customers_merges_them(graph: GraphStore) -> None:
    result = record(
        graph,
        touchpoint(),
        customer={
            "source": "desk",
            "customer_id": "7",
            "email": "alan@example.org",
            "phone": "+1 212 555 0100",  # Grace's
        },
    )
    survivor, folded = sorted([GRACE, ALAN])
    assert (result.customer_id, result.customer) == (survivor, "merged")
    assert result.merged_customer_ids == [folded]
    assert graph.query("customer_profile", customer_id=folded) == []
    assert [key for key, _, _ in records_of(graph, survivor)] == ["crm:2", "crm:3", "desk:7"]
    assert had(graph, "RT1") == [survivor]
    # Alan's touchpoints and relationships moved with him
    assert set(had(graph, "T6")) == {survivor}


def test_a_placeholder_identifier_links_nobody(graph: GraphStore) -> None:
    result = record(
        graph,
        touchpoint(),
        customer={"source": "desk", "customer_id": "8", "email": "test@example.com"},
    )
    assert result.customer == "created"
    assert result.identifiers_blocked == {"email:test@example.com": 4}  # all carriers counted


@pytest.mark.parametrize(
    ("customer", "label"),
    [
        (
            {
                "source": "desk",
                "customer_id": "7",
                "email": "alan@example.org",
                "phone": "+1 212 555 0100",
            },
            "bridge",
        ),
        ({"source": "desk", "customer_id": "9", "email": "grace@example.org"}, "join"),
        ({"source": "desk", "customer_id": "5", "email": "test@example.com"}, "placeholder"),
        ({"source": "crm", "customer_id": "3", "name": "Alan M. Turing"}, "update"),
    ],
)
def test_recording_writes_what_loading_the_same_rows_writes(
    store: GraphStore, tmp_path: Path, customer: dict[str, str], label: str
) -> None:
    """The same rules, end to end: recording a row, and loading it as a one-row bundle into
    another store holding the same graph, leave the two graphs identical (but for the times
    each run stamps on new records)."""
    load_bundle(store, TINY, rejects_path=tmp_path / "r0.csv", max_shared=2)
    tp = touchpoint(rating="2", rating_scale="5", step_id="buy-2")
    record_touchpoint(store, tp, customer=customer, max_shared=2, now=NOW)
    recorded = _timeless(snapshot(store))

    from graph360.store import open_store

    with open_store(str(tmp_path / "loaded.lbug")) as other:
        load_bundle(other, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
        bundle = tmp_path / "one"
        bundle.mkdir()
        _csv(bundle / "customers.csv", customer)
        _csv(
            bundle / "touchpoints.csv",
            {**tp, "source": customer["source"], "customer_id": customer["customer_id"]},
        )
        report = load_bundle(other, bundle, rejects_path=tmp_path / "r2.csv", max_shared=2)
        assert report.rejected == 0
        loaded = _timeless(snapshot(other))
    assert recorded == loaded


def _csv(path: Path, row: dict[str, Any]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)


def _timeless(shot: dict[str, list[dict]]) -> dict[str, list[dict]]:
    for name in ("SourceRecord", "IDENTIFIED_BY"):
        for row in shot[name]:
            row.pop("loaded_at", None)
            row.pop("at", None)
    return shot


# --- what is refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"source": "crm", "customer_id": "99"}, "unknown customer 'crm:99'"),
        ({"email": "nobody@example.org"}, "no customer with e-mail 'nobody@example.org'"),
        ({"email": "test@example.com"}, "e-mail 'test@example.com' is a blocked placeholder"),
        (
            {"email": "a@@b"},  # found by the fuzzer: an invalid address resolved to nobody
            "invalid e-mail 'a@@b': The part after the @-sign contains invalid characters: '@'.",
        ),
        ({}, "no customer reference: give source and customer_id, or email"),
        (
            {"email": "ada@example.org", "rating": 7, "rating_scale": 5},
            "rating 7 outside its scale 1..5",
        ),
        ({"email": "ada@example.org", "rating": "3"}, "rating without rating_scale"),
        (
            {"email": "ada@example.org", "rating": 3, "rating_scale": 7},
            "rating_scale must be 5 or 10, not '7'",
        ),
        (
            {"email": "ada@example.org", "rating": "bad", "rating_scale": 5},
            "not a number in rating: 'bad'",
        ),
        ({"email": "ada@example.org", "channel": None}, "missing required value for channel"),
        ({"email": "ada@example.org", "channel": "  "}, "missing required value for channel"),
        ({"email": "ada@example.org", "at": "yesterday"}, "unparseable date in at: 'yesterday'"),
        ({"email": "ada@example.org", "campaign_id": "CMP9"}, "unknown campaign 'CMP9'"),
        ({"email": "ada@example.org", "step_id": "buy-9"}, "unknown journey step 'buy-9'"),
        ({"email": "ada@example.org", "department_id": "hr"}, "unknown department 'hr'"),
        ({"email": "ada@example.org", "product_id": "P9"}, "unknown product 'P9'"),
        ({"email": "ada@example.org", "sentiment": 2}, "sentiment outside -1..1: 2"),
        (
            {"email": "ada@example.org", "touchpoint_id": None},
            "missing required value for touchpoint_id",
        ),
        (
            {"email": "ada@example.org", "_line": 3},
            "field name '_line' is not allowed (empty, or starts with '_')",
        ),
        (
            {"email": "ada@example.org", "tags": ["a"]},
            "tags must be text, a number or a date/time, not list",
        ),
    ],
)
def test_an_invalid_touchpoint_is_refused_with_the_loaders_reason(
    graph: GraphStore, fields: dict[str, Any], reason: str
) -> None:
    before = snapshot(graph)
    with pytest.raises(InvalidRecordError) as raised:
        record(graph, touchpoint(**fields))
    assert raised.value.problems == {"touchpoint": [reason]}
    assert raised.value.reasons == [reason]
    assert isinstance(raised.value, Graph360Error)
    assert snapshot(graph) == before


def test_a_touchpoint_breaking_several_rules_gets_every_reason(graph: GraphStore) -> None:
    with pytest.raises(InvalidRecordError) as raised:
        record(
            graph,
            touchpoint(source="crm", customer_id="99", step_id="buy-9", rating=0, rating_scale=5),
        )
    assert raised.value.reasons == [
        "unknown journey step 'buy-9'",
        "rating 0 outside its scale 1..5",
        "unknown customer 'crm:99'",
    ]


def test_an_invalid_customer_record_is_refused_and_nothing_is_written(graph: GraphStore) -> None:
    before = snapshot(graph)
    with pytest.raises(InvalidRecordError) as raised:
        record(
            graph,
            touchpoint(),
            customer={"source": "desk", "customer_id": "50", "email": "not an email"},
        )
    assert raised.value.problems["customer"][0].startswith("invalid e-mail 'not an email'")
    # the touchpoint referred to the refused record, so it has no customer either
    assert raised.value.problems["touchpoint"] == ["unknown customer 'desk:50'"]
    assert "customer: invalid e-mail" in str(raised.value)
    assert snapshot(graph) == before


# --- idempotence and atomicity ---------------------------------------------------------------


def test_recording_the_same_touchpoint_twice_changes_nothing(graph: GraphStore) -> None:
    tp = touchpoint(rating=1, rating_scale=5, step_id="buy-1")
    mary = {"source": "desk", "customer_id": "42", "email": "grace@example.org"}
    first = record(graph, tp, customer=mary)
    once = snapshot(graph)
    second = record(graph, tp, customer=mary, now=NOW + dt.timedelta(hours=1))
    assert snapshot(graph) == once
    assert first.touchpoint_created and not second.touchpoint_created
    assert (second.customer, second.customer_id) == ("existing", first.customer_id)
    assert (second.rule, second.via) == (first.rule, first.via) == ("email", "crm:2")
    assert len(first.actions) == 1 and second.actions == []
    assert second.flags_raised == []


@pytest.mark.parametrize("failing", ["AT_STEP", "TRIGGERED_BY"])
def test_a_failure_while_writing_leaves_nothing_half_written(
    graph: GraphStore, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """The store fails the statement creating the last data relationship (AT_STEP) or the last
    routing one (TRIGGERED_BY): everything recorded before it — the new record, the merge of
    Grace and Alan, the touchpoint, the flag — is undone."""
    before = snapshot(graph)
    real = graph._run

    def run(text: str, params: dict[str, Any], *, write: bool = True) -> list[dict[str, Any]]:
        if f":{failing}" in text and any(verb in text for verb in ("CREATE", "COPY", "MERGE")):
            raise StoreError("disk full (injected)")
        return real(text, params, write=write)

    monkeypatch.setattr(graph, "_run", run)
    bridge = {
        "source": "desk",
        "customer_id": "7",
        "email": "alan@example.org",
        "phone": "+1 212 555 0100",
    }
    tp = touchpoint(rating=1, rating_scale=5, step_id="buy-1")
    with pytest.raises(StoreError, match="injected"):
        record(graph, tp, customer=bridge)
    assert snapshot(graph) == before
    monkeypatch.undo()
    result = record(graph, tp, customer=bridge)  # and the same call goes through afterwards
    assert result.customer == "merged" and len(result.actions) == 1
    assert snapshot(graph) != before


# --- routing at once -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "department", "routed_by"),
    [
        ("buy-1", "crm-team", "owner"),
        ("buy-3", "care", "conflict"),  # sales and care own it: the first by id
        ("buy-4", "care", "unowned step"),  # nobody owns it: the fallback (care, first by id)
        (None, "care", "no step"),
    ],
)
def test_a_poor_rating_is_routed_at_once(
    graph: GraphStore, step: str | None, department: str, routed_by: str
) -> None:
    tp = touchpoint(source="crm", customer_id="1", rating=2, rating_scale=5, step_id=step)
    result = record(graph, tp)
    (action,) = result.actions
    assert action == {
        "action_id": "action:poor_rating:RT1",
        "customer_id": ADA,
        "touchpoint_id": "RT1",
        "department_id": department,
        "routed_by": routed_by,
        "due_at": dt.datetime(2024, 4, 3, 10),  # Monday + 2 working days
    }
    assert result.flags_raised == [f"flag:poor_rating:{ADA}:RT1"]
    assigned = graph.all_relationships("ASSIGNED_TO")
    assert dict(zip(assigned["from"], assigned["to"], strict=True)) == {
        "action:poor_rating:RT1": department
    }
    stored = graph.all_nodes("Action").set_index("action_id").loc["action:poor_rating:RT1"]
    assert (stored["status"], stored["created_at"]) == ("outstanding", NOW)
    needs = graph.all_relationships("NEEDS")
    assert list(zip(needs["from"], needs["to"], strict=True)) == [(ADA, "action:poor_rating:RT1")]


def test_a_named_fallback_department_takes_the_gap(graph: GraphStore) -> None:
    tp = touchpoint(email="ada@example.org", rating=0, rating_scale=10, step_id="buy-4")
    result = record(graph, tp, router=partial(route_now, fallback_department="news"))
    assert [(a["department_id"], a["routed_by"]) for a in result.actions] == [
        ("news", "unowned step")
    ]


def test_a_good_rating_or_no_routing_raises_nothing(graph: GraphStore) -> None:
    result = record(graph, touchpoint(email="ada@example.org", rating=4, rating_scale=5))
    assert (result.actions, result.flags_raised) == ([], [])
    result = record(
        graph,
        touchpoint("RT2", email="ada@example.org", rating=1, rating_scale=5),
        router=None,
    )
    assert (result.actions, result.flags_raised, result.warnings) == ([], [], [])
    assert graph.counts()["nodes"]["Action"] == 0


def _scores(graph: GraphStore, values: dict[str, tuple[float, float]]) -> None:
    graph.upsert_nodes(
        "Customer",
        pa.Table.from_pylist(
            [
                {
                    "customer_id": c,
                    "current_value": v,
                    "potential_value": 0.0,
                    "at_risk": r,
                    "value_at": dt.datetime(2024, 3, 31),
                }
                for c, (v, r) in values.items()
            ]
        ),
    )


def test_recording_then_running_every_rule_changes_nothing(graph: GraphStore) -> None:
    """A recorded poor rating gets the action and flag ids a later full run would give it: the
    full run afterwards creates, re-opens and resolves nothing, and writes nothing new."""
    # Ada: a promoter with the top value, so a VIP candidate; Grace: at risk
    record(graph, touchpoint("RT0", email="ada@example.org", rating=5, rating_scale=5))
    customers = graph.all_nodes("Customer")["customer_id"]
    _scores(graph, {c: (0.0, 0.0) for c in customers} | {ADA: (1000.0, 0.0), GRACE: (5.0, 0.9)})
    baseline = run_rules(graph, now=NOW)
    assert baseline.flags["green"]["raised"] == 1 and baseline.flags["amber"]["raised"] == 1

    # a poor rating at an unowned step, later than the promoter's: no longer a VIP candidate
    tp = touchpoint(
        source="shop",
        customer_id="A-77",
        rating=1,
        rating_scale=5,
        step_id="buy-4",
        at="2024-04-01T12:00:00Z",
    )
    result = record(graph, tp, now=NOW + dt.timedelta(hours=2))
    assert result.flags_raised == [f"flag:poor_rating:{ADA}:RT1"]
    assert result.flags_resolved == [f"flag:vip_candidate:{ADA}"]
    assert [a["action_id"] for a in result.actions] == ["action:poor_rating:RT1"]
    recorded = snapshot(graph)

    full = run_rules(graph, now=NOW + dt.timedelta(days=1))
    assert snapshot(graph) == recorded
    assert full.actions_created == 0
    assert all(c["raised"] == 0 and c["resolved"] == 0 for c in full.flags.values())


def test_a_customer_with_unsettled_flags_is_settled_like_a_full_run(
    graph: GraphStore, tmp_path: Path
) -> None:
    """Recording for a customer whose older ratings were never routed routes them too, as a
    full run would (the scoped run applies every rule to the customer, not to the row)."""
    record(graph, touchpoint("RT0", email="grace@example.org", text="hello"), router=None)
    # Grace's T4 (3/10 NPS at buy-5, rejected) was not loaded; give her an older poor rating
    record(
        graph,
        touchpoint("RT9", source="crm", customer_id="2", rating=1, rating_scale=5, step_id="buy-2"),
        router=None,
    )
    assert graph.counts()["nodes"]["Action"] == 0
    result = record(graph, touchpoint("RT1", source="crm", customer_id="2"))
    assert [a["action_id"] for a in result.actions] == ["action:poor_rating:RT9"]
    assert result.actions[0]["department_id"] == "sales"


def test_an_api_style_call_with_typed_values(graph: GraphStore) -> None:
    """Values as a GraphQL layer would pass them: datetimes, floats, ints."""
    result = record(
        graph,
        {
            "touchpoint_id": "RT1",
            "at": dt.datetime(2024, 4, 1, 10, tzinfo=dt.UTC) + dt.timedelta(hours=1),
            "channel": "shop",
            "kind": "purchase",
            "source": "crm",
            "customer_id": 3,
            "value": 19.5,
            "product_id": "P2",
        },
    )
    assert result.customer_id == ALAN
    row = graph.all_nodes("Touchpoint").set_index("touchpoint_id").loc["RT1"]
    assert (row["at"], row["value"]) == (dt.datetime(2024, 4, 1, 11), 19.5)
    links = graph.all_relationships("FOR_PRODUCT")
    assert ("RT1", "P2") in set(zip(links["from"], links["to"], strict=True))


# --- the named queries of the identity neighbourhood -----------------------------------------


def test_identity_record(tiny) -> None:
    graph, _ = tiny
    assert graph.query("identity_record", record_key="support:Z9") == [
        {
            "record_key": "support:Z9",
            "email": None,
            "phone": "+442079460001",
            "pseudo_id": None,
            "identified_as": None,
            "name": "A. Lovelace",
            "customer_id": ADA,
            "rule": "phone",
            "via": "crm:1",
        }
    ]
    assert graph.query("identity_record", record_key="crm:99") == []


def test_identity_records_carrying(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("identity_records_carrying", key="test@example.com")
    assert [(r["record_key"], r["customer_id"]) for r in rows] == [
        (f"crm:{i}", customer_id_for(f"crm:{i}")) for i in (4, 5, 6)
    ]
    phone = graph.query("identity_records_carrying", key="+442079460001")
    assert [(r["record_key"], r["customer_id"]) for r in phone] == [
        ("crm:1", ADA),
        ("support:Z9", ADA),
    ]
    assert graph.query("identity_records_carrying", key="nobody@example.org") == []
    (grace,) = graph.query("identity_records_carrying", key="grace@example.org")
    assert grace == {
        "record_key": "crm:2",
        "email": "grace@example.org",
        "phone": "+12125550100",
        "pseudo_id": None,
        "identified_as": None,
        "name": "Grace Hopper",
        "customer_id": GRACE,
        "rule": "source_id",
        "via": None,
    }


def test_the_docstring_of_this_module_names_real_steps(tiny) -> None:
    """The module docstring's facts about the tiny bundle hold (owners and departments)."""
    graph, _ = tiny
    owners = {(r["step_id"], r["department_id"]) for r in graph.query("routing_step_owners")}
    assert owners == {
        ("buy-1", "crm-team"),
        ("buy-2", "sales"),
        ("buy-3", "care"),
        ("buy-3", "sales"),
    }
    departments = [r["department_id"] for r in graph.query("routing_departments")]
    assert departments == ["care", "crm-team", "news", "sales"]
