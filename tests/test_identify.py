"""Anonymous visitors become customers (issue 17): a device's pseudo id joins a sign-in.

Real loads and events on the embedded store; every answer exact.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
from api_support import serve

from graph360 import merges
from graph360.ingest.events import apply_events
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore
from tests.test_api_events import ADA, card_touchpoints, post_events, tiny_store

ANN = customer_id_for("shop:U1")
BOB = customer_id_for("shop:U2")
VISITOR = customer_id_for("ga4_visitor:P1")
SHOP = [
    {
        "source": "shop",
        "customer_id": "U1",
        "name": "Ann Lee",
        "email": "ann@example.org",
        "city": "Leeds",
    }
]
VISIT = [{"source": "ga4_visitor", "customer_id": "P1", "pseudo_id": "P1", "city": "London"}]
SIGN_IN = [
    {"source": "ga4_signin", "customer_id": "P1>U1", "pseudo_id": "P1", "identified_as": "shop:U1"}
]


def _bundle(folder: Path, customers: list[dict], touchpoints: list[tuple[str, str]]) -> Path:
    folder.mkdir()
    columns = ["source", "customer_id", "name", "email", "city", "pseudo_id", "identified_as"]
    with (folder / "customers.csv").open("w", newline="") as handle:
        rows = csv.DictWriter(handle, columns)
        rows.writeheader()
        rows.writerows(customers)
    with (folder / "touchpoints.csv").open("w", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(["touchpoint_id", "at", "channel", "kind", "source", "customer_id"])
        for i, (source, customer) in enumerate(touchpoints):
            rows.writerow(
                [
                    f"T{folder.name}{i}",
                    f"2026-07-01T08:0{i}:00Z",
                    "web",
                    "page_view",
                    source,
                    customer,
                ]
            )
    return folder


def _owners(store: GraphStore) -> dict[str, str]:
    """Each record's customer."""
    return {r["record_key"]: r["customer_id"] for r in store.query("identity_records")}


def _history(store: GraphStore) -> dict[str, str]:
    links = store.all_relationships("HAD")
    return dict(zip(links["to"], links["from"], strict=True))


def test_one_bundle_visitor_events_then_a_sign_in(store: GraphStore, tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path / "b",
        SHOP + VISIT + SIGN_IN,
        [("ga4_visitor", "P1"), ("ga4_visitor", "P1"), ("shop", "U1")],
    )
    load_bundle(store, folder, rejects_path=tmp_path / "r.csv")
    assert _owners(store) == {"shop:U1": ANN, "ga4_visitor:P1": ANN, "ga4_signin:P1>U1": ANN}
    assert _history(store) == {"Tb0": ANN, "Tb1": ANN, "Tb2": ANN}
    # the visitor's GA4 city does not win over the shop's
    (ann,) = store.get_nodes("Customer", pa.array([ANN])).to_pylist()
    assert (ann["name"], ann["email"], ann["city"]) == ("Ann Lee", "ann@example.org", "Leeds")
    (entry,) = merges.merge_log(store)
    assert (entry.kind, entry.rule, entry.customer_id, entry.other_id, entry.records) == (
        "identify",
        "pseudo_id",
        ANN,
        "",
        ["ga4_visitor:P1"],
    )
    assert entry.evidence == {"via": "ga4_signin:P1>U1"}


def test_a_visitor_of_load_one_signs_in_in_load_two(store: GraphStore, tmp_path: Path) -> None:
    load_bundle(
        store,
        _bundle(tmp_path / "a", SHOP + VISIT, [("ga4_visitor", "P1")]),
        rejects_path=tmp_path / "r.csv",
    )
    assert _owners(store) == {"shop:U1": ANN, "ga4_visitor:P1": VISITOR}
    load_bundle(
        store,
        _bundle(tmp_path / "b", SIGN_IN, [("ga4_signin", "P1>U1")]),
        rejects_path=tmp_path / "r.csv",
    )
    assert _owners(store) == {"shop:U1": ANN, "ga4_visitor:P1": ANN, "ga4_signin:P1>U1": ANN}
    assert _history(store) == {"Ta0": ANN, "Tb0": ANN}  # the visit moved, Ann's id kept
    entries = [e for e in merges.merge_log(store) if e.kind == "identify"]
    assert [(e.customer_id, e.other_id, e.records) for e in entries] == [
        (ANN, VISITOR, ["ga4_visitor:P1"])
    ]


def _event(i: int, record: dict) -> dict:
    return {
        "touchpoint_id": f"L{i}",
        "at": f"2026-07-01T09:0{i}:00Z",
        "channel": "web",
        "kind": "page_view",
        "customer": record,
    }


def test_live_events_in_either_order_give_the_batch_graph(
    store: GraphStore, tmp_path: Path
) -> None:
    load_bundle(store, _bundle(tmp_path / "a", SHOP, []), rejects_path=tmp_path / "r.csv")
    events = [_event(0, VISIT[0]), _event(1, VISIT[0]), _event(2, SIGN_IN[0])]
    for event in reversed(events):  # the sign-in first, then the visits
        outcomes, _ = apply_events(store, [event])
        assert [o.status for o in outcomes] == ["recorded"]
    assert _owners(store) == {"shop:U1": ANN, "ga4_visitor:P1": ANN, "ga4_signin:P1>U1": ANN}
    assert _history(store) == {"L0": ANN, "L1": ANN, "L2": ANN}
    entries = [e for e in merges.merge_log(store) if e.kind == "identify"]
    assert [(e.customer_id, e.records) for e in entries] == [(ANN, ["ga4_visitor:P1"])]


def test_visits_then_sign_in_live(store: GraphStore, tmp_path: Path) -> None:
    load_bundle(store, _bundle(tmp_path / "a", SHOP, []), rejects_path=tmp_path / "r.csv")
    for event in [_event(0, VISIT[0]), _event(1, VISIT[0]), _event(2, SIGN_IN[0])]:
        apply_events(store, [event])
    assert _owners(store) == {"shop:U1": ANN, "ga4_visitor:P1": ANN, "ga4_signin:P1>U1": ANN}
    assert _history(store) == {"L0": ANN, "L1": ANN, "L2": ANN}
    entries = [e for e in merges.merge_log(store) if e.kind == "identify"]
    assert [(e.customer_id, e.other_id, e.records) for e in entries] == [
        (ANN, VISITOR, ["ga4_visitor:P1"])
    ]


BOB_SHOP = [{"source": "shop", "customer_id": "U2", "name": "Bob Ray", "email": "bob@example.org"}]
BOB_SIGN_IN = [
    {"source": "ga4_signin", "customer_id": "P1>U2", "pseudo_id": "P1", "identified_as": "shop:U2"}
]


def test_a_shared_device_joins_nobody(store: GraphStore, tmp_path: Path) -> None:
    """Two known people signed in on one device: Segment would merge them; here the device
    links neither (and its visitor history stays a visitor's), as a batch of all would."""
    load_bundle(
        store,
        _bundle(tmp_path / "a", SHOP + BOB_SHOP + VISIT + SIGN_IN, [("ga4_visitor", "P1")]),
        rejects_path=tmp_path / "r.csv",
    )
    assert _owners(store)["ga4_visitor:P1"] == ANN
    report = load_bundle(
        store, _bundle(tmp_path / "b", BOB_SIGN_IN, []), rejects_path=tmp_path / "r.csv"
    )
    assert _owners(store) == {
        "shop:U1": ANN,
        "ga4_signin:P1>U1": ANN,
        "shop:U2": BOB,
        "ga4_signin:P1>U2": BOB,
        "ga4_visitor:P1": VISITOR,
    }
    assert _history(store) == {"Ta0": VISITOR}
    assert report.to_dict()["identity_conflicts"] == {
        # the visitor was Ann's until now, so it is counted with her
        "pseudo_id:P1": [["ga4_signin:P1>U1", "ga4_visitor:P1"], ["ga4_signin:P1>U2"]]
    }
    split = [e for e in merges.merge_log(store) if e.kind == "unmerge"]
    assert [(e.rule, e.customer_id, e.other_id, e.records) for e in split] == [
        ("shared_device", ANN, VISITOR, ["ga4_visitor:P1"])
    ]


def test_a_sign_in_must_name_a_record_key(store: GraphStore, tmp_path: Path) -> None:
    bad = [{**SIGN_IN[0], "identified_as": "U1"}]
    load_bundle(store, _bundle(tmp_path / "a", SHOP + bad, []), rejects_path=tmp_path / "r.csv")
    with (tmp_path / "r.csv").open(newline="") as handle:
        rejects = list(csv.DictReader(handle))
    assert [(r["reason"], r["line"]) for r in rejects] == [
        ("identified_as is 'source:customer_id', not 'U1'", "3")
    ]


def test_through_the_http_events_endpoint(tmp_path: Path) -> None:
    """The real ASGI app: a device's visits, then its sign-in as Ada (crm:1), show on her card."""

    served = serve(tiny_store(tmp_path), tmp_path)
    api = next(served)
    try:
        visitor = {"source": "ga4_visitor", "customer_id": "D9", "pseudo_id": "D9"}
        sign_in = {
            "source": "ga4_signin",
            "customer_id": "D9>1",
            "pseudo_id": "D9",
            "identified_as": "crm:1",
        }
        for i, record in enumerate([visitor, visitor, sign_in]):
            response = post_events(api, [_event(i, record)])
            assert response.status_code == 200, response.text
        assert {"L0", "L1", "L2"} <= set(card_touchpoints(api, "crm:1"))
        assert card_touchpoints(api, "ga4_visitor:D9") == card_touchpoints(api, "crm:1")
        query = '{ customer(ref: "ga4_visitor:D9") { id } }'
        assert api.gql(query)["customer"]["id"] == ADA
    finally:
        served.close()


def test_a_sign_in_loaded_before_its_user_joins_them_when_the_user_comes(
    store: GraphStore, tmp_path: Path
) -> None:
    """The device's visits and its sign-in arrive first, naming shop:U1 nobody has loaded;
    the shop's record in a later load takes the device's history, logged as an identify."""
    load_bundle(
        store,
        _bundle(tmp_path / "a", VISIT + SIGN_IN, [("ga4_visitor", "P1")]),
        rejects_path=tmp_path / "r.csv",
    )
    early = customer_id_for("ga4_signin:P1>U1")  # the device's customer until then
    assert _owners(store) == {"ga4_visitor:P1": early, "ga4_signin:P1>U1": early}
    load_bundle(store, _bundle(tmp_path / "b", SHOP, []), rejects_path=tmp_path / "r.csv")
    assert _owners(store) == {"shop:U1": ANN, "ga4_visitor:P1": ANN, "ga4_signin:P1>U1": ANN}
    assert _history(store) == {"Ta0": ANN}
    entries = [e for e in merges.merge_log(store) if e.kind == "identify"]
    assert [(e.customer_id, e.other_id, e.records, e.evidence) for e in entries] == [
        (ANN, early, ["ga4_visitor:P1"], {"via": "ga4_signin:P1>U1"})
    ]


def test_a_live_sign_in_before_its_user_joins_them_when_the_user_comes(
    store: GraphStore, tmp_path: Path
) -> None:
    """Live, in the order a site sends them: visits, the sign-in naming a shop record the
    graph does not hold yet, then an event carrying that shop record."""
    load_bundle(store, _bundle(tmp_path / "a", BOB_SHOP, []), rejects_path=tmp_path / "r.csv")
    for event in [_event(0, VISIT[0]), _event(1, SIGN_IN[0])]:
        outcomes, _ = apply_events(store, [event])
        assert [o.status for o in outcomes] == ["recorded"]
    early = VISITOR  # the visit came first: the device's customer is the visitor's
    assert _owners(store)["ga4_signin:P1>U1"] == early
    outcomes, _ = apply_events(store, [_event(2, SHOP[0])])
    assert [(o.status, o.customer_id) for o in outcomes] == [("recorded", ANN)]
    assert _owners(store) == {
        "shop:U2": BOB,
        "shop:U1": ANN,
        "ga4_visitor:P1": ANN,
        "ga4_signin:P1>U1": ANN,
    }
    assert _history(store) == {"L0": ANN, "L1": ANN, "L2": ANN}
    entries = [e for e in merges.merge_log(store) if e.kind == "identify"]
    assert [(e.customer_id, e.other_id, e.records) for e in entries] == [
        (ANN, early, ["ga4_visitor:P1"])
    ]


def test_erasing_the_user_drops_the_sign_in_index_entries(
    store: GraphStore, tmp_path: Path
) -> None:
    from graph360 import erasure

    load_bundle(
        store,
        _bundle(tmp_path / "b", SHOP + VISIT + SIGN_IN, [("ga4_visitor", "P1")]),
        rejects_path=tmp_path / "r.csv",
    )
    keys = set(store.all_nodes("Identifier")["key"])
    assert {"signin:shop:U1", "pseudo:P1", "ann@example.org"} <= keys
    erasure.erase(store, ANN, mode="delete", by="desk-7", reason="request")
    assert "signin:shop:U1" not in set(store.all_nodes("Identifier")["key"])


SIGN_IN_GQL = """mutation($batch: [TouchpointEventInput!]!) {
  recordTouchpoints(batch: $batch) { recorded rejected events { status customerId reasons } }
}"""


def test_through_graphql_record_touchpoint_and_record_touchpoints(tmp_path: Path) -> None:
    """The real ASGI app: GraphQL's customer input carries pseudoId and identifiedAs through
    the loader's rules (a malformed identifiedAs is refused with its reason)."""
    served = serve(tiny_store(tmp_path), tmp_path)
    api = next(served)
    try:

        def event(i: int, **record: str) -> dict:
            return {
                "touchpointId": f"G{i}",
                "at": f"2026-07-01T09:0{i}:00Z",
                "channel": "web",
                "kind": "page_view",
                "customer": record,
            }

        visit = {"source": "ga4_visitor", "customerId": "D7", "pseudoId": "D7"}
        sign_in = {
            "source": "ga4_signin",
            "customerId": "D7>1",
            "pseudoId": "D7",
            "identifiedAs": "crm:1",
        }
        batch = [event(0, **visit), event(1, **{**sign_in, "identifiedAs": "1"})]
        answer = api.gql(SIGN_IN_GQL, {"batch": batch})["recordTouchpoints"]
        assert (answer["recorded"], answer["rejected"]) == (1, 1)
        assert answer["events"][1]["reasons"] == [
            "customer: identified_as is 'source:customer_id', not '1'",
            "unknown customer 'ga4_signin:D7>1'",  # the touchpoint's, its record refused
        ]
        record = """mutation($tp: TouchpointInput!, $customer: CustomerRecordInput) {
          recordTouchpoint(touchpoint: $tp, customer: $customer) {
            customerId customer mergedCustomerIds } }"""
        tp = {k: v for k, v in event(2).items() if k != "customer"}
        done = api.gql(record, {"tp": tp, "customer": sign_in})["recordTouchpoint"]
        # the sign-in bridged the visitor's customer and Ada's: folded into hers
        assert done == {
            "customerId": ADA,
            "customer": "merged",
            "mergedCustomerIds": [customer_id_for("ga4_visitor:D7")],
        }
        assert {"G0", "G2"} <= set(card_touchpoints(api, "crm:1"))
        assert api.gql('{ customer(ref: "ga4_visitor:D7") { id } }')["customer"]["id"] == ADA
    finally:
        served.close()
