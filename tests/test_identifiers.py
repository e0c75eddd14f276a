"""The identifier index: e-mails and phones found by primary key, kept as a clean load has it.

The tiny bundle's people (tests/test_realtime.py): Ada (crm:1 with +44 20 7946 0001 and
ada@example.org, shop:A-77 with ADA@Example.ORG, support:Z9 with the same phone), Grace
(crm:2, grace@example.org, +1 212 555 0100); test@example.com is a placeholder on crm:4-6.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from helpers import TINY

from graph360 import named_queries
from graph360.analytics.card import resolve_customer
from graph360.ingest.events import apply_events
from graph360.ingest.identifiers import index_stored_records, records_carrying
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore, open_store

ADA, GRACE = customer_id_for("crm:1"), customer_id_for("crm:2")
NOW = dt.datetime(2024, 4, 2, 9, 0)


@pytest.fixture
def graph(store: GraphStore, tmp_path: Path) -> GraphStore:
    load_bundle(store, TINY, rejects_path=tmp_path / "rejects.csv", max_shared=2)
    return store


def _index(graph: GraphStore) -> list[tuple[str, str, str]]:
    nodes = graph.all_nodes("Identifier")
    kinds = dict(zip(nodes["key"], nodes["kind"], strict=True))
    links = graph.all_relationships("IDENTIFIES")
    return sorted((kinds[k], k, r) for k, r in zip(links["from"], links["to"], strict=True))


def test_a_load_indexes_every_identifier_of_every_record(graph: GraphStore) -> None:
    index = _index(graph)
    assert ("email", "ada@example.org", "shop:A-77") in index  # ADA@Example.ORG, normalised
    assert ("phone", "+442079460001", "support:Z9") in index
    assert ("email", "test@example.com", "crm:4") in index  # a placeholder is indexed too
    records = graph.frame("identity_records")
    carried = {(r.email, r.record_key) for r in records.itertuples() if pd.notna(r.email)}
    carried |= {(r.phone, r.record_key) for r in records.itertuples() if pd.notna(r.phone)}
    assert {(key, record) for _, key, record in index} == carried
    assert set(graph.all_nodes("Identifier")["key"]) == {key for key, _ in carried}


def test_look_ups_by_e_mail_and_phone_in_any_format_go_through_the_index(
    graph: GraphStore,
) -> None:
    assert resolve_customer(graph, " Ada@EXAMPLE.org ") == ADA
    found = records_carrying(graph, {"+12125550100", "ada@example.org"})
    assert sorted(zip(found["record_key"], found["customer_id"], strict=True)) == [
        ("crm:1", ADA),
        ("crm:2", GRACE),
        ("shop:A-77", ADA),
    ]
    # a live event naming Grace by her phone in national US format lands on her
    (outcome,), _ = apply_events(
        graph,
        [
            {
                "touchpoint_id": "P1",
                "at": "2024-04-01T10:00:00Z",
                "channel": "phone",
                "kind": "call",
                "customer": {
                    "source": "calls",
                    "customer_id": "c-1",
                    "phone": "(212) 555-0100",
                    "country": "US",
                },
            }
        ],
        max_shared=2,
        now=NOW,
    )
    assert (outcome.status, outcome.customer_id) == ("recorded", GRACE)
    assert ("phone", "+12125550100", "calls:c-1") in _index(graph)


def test_the_look_ups_read_the_index_not_the_records(graph: GraphStore) -> None:
    """Without its index entry an address is not found, though its record still carries it;
    and LadybugDB's plan is a primary-key probe of Identifier, no scan of a node table."""
    graph.write("drop_uncarried_identifiers", keys=["grace@example.org"])  # still carried: kept
    assert resolve_customer(graph, "grace@example.org") == GRACE
    if graph.backend != "ladybug":
        return
    for name, params in (
        ("customers_by_email", {"email": "grace@example.org"}),
        ("identity_records_carrying", {"key": "grace@example.org"}),
        ("identifiers_of_record", {"record_key": "crm:2"}),
        ("drop_uncarried_identifier", {"key": "grace@example.org"}),
    ):
        plan = graph._conn.execute("EXPLAIN " + named_queries.get(name, "ladybug").text, params)
        operators = set(re.findall(r"([A-Z_]{4,})\[\d+\]", plan.get_as_df().iloc[0, 0]))
        assert "PRIMARY_KEY_SCAN_NODE_TABLE" in operators, (name, operators)
        assert "SCAN_NODE_TABLE" not in operators, (name, operators)
    graph._conn.execute("MATCH (i:Identifier {key: 'grace@example.org'}) DETACH DELETE i")
    assert graph.query("customers_by_email", email="grace@example.org") == []
    assert graph.frame("identity_records")["email"].eq("grace@example.org").any()


def test_identifiers_of_records(graph: GraphStore) -> None:
    rows = graph.query("identifiers_of_records", record_keys=["crm:2", "support:Z9", "crm:99"])
    assert rows == [
        {"key": "+12125550100", "record_key": "crm:2"},
        {"key": "+442079460001", "record_key": "support:Z9"},
        {"key": "grace@example.org", "record_key": "crm:2"},
    ]


def test_identifiers_of_record(graph: GraphStore) -> None:
    assert graph.query("identifiers_of_record", record_key="crm:2") == [
        {"key": "+12125550100", "record_key": "crm:2"},
        {"key": "grace@example.org", "record_key": "crm:2"},
    ]
    assert graph.query("identifiers_of_record", record_key="crm:99") == []


def test_a_load_of_many_changed_records_reads_their_old_entries_in_one_query(
    graph: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past BY_KEY_RECORDS changed records the list query is used: the same index after."""
    from graph360.ingest import identifiers

    monkeypatch.setattr(identifiers, "BY_KEY_RECORDS", 0)
    test_a_changed_record_moves_its_entries_as_a_clean_load_has_them(graph, tmp_path)


def test_drop_uncarried_identifier(graph: GraphStore) -> None:
    orphan = {"key": ["lost@example.org"], "kind": ["email"], "value": ["lost@example.org"]}
    graph.upsert_nodes("Identifier", pa.table(orphan))
    graph.write("drop_uncarried_identifier", key="lost@example.org")
    graph.write("drop_uncarried_identifier", key="ada@example.org")  # carried: kept
    keys = set(graph.all_nodes("Identifier")["key"])
    assert "lost@example.org" not in keys and "ada@example.org" in keys


def test_drop_uncarried_identifiers(graph: GraphStore) -> None:
    orphan = {"key": ["lost@example.org"], "kind": ["email"], "value": ["lost@example.org"]}
    graph.upsert_nodes("Identifier", pa.table(orphan))  # an entry no record carries
    graph.write("drop_uncarried_identifiers", keys=["lost@example.org", "ada@example.org"])
    keys = set(graph.all_nodes("Identifier")["key"])
    assert "lost@example.org" not in keys and "ada@example.org" in keys


def test_a_changed_record_moves_its_entries_as_a_clean_load_has_them(
    graph: GraphStore, tmp_path: Path
) -> None:
    """Grace's record changes its e-mail in an event: the old address leaves the index, the new
    one comes in, and the index equals a clean load's of the same records."""
    grace = {"source": "crm", "customer_id": "2", "name": "Grace Hopper"}
    grace |= {"email": "g.hopper@example.org", "phone": "+1 212 555 0100"}
    outcomes, _ = apply_events(
        graph,
        [
            {"touchpoint_id": "C1", "at": "2024-04-01T10:00:00Z", "channel": "web", "kind": "view"}
            | {"customer": grace}
        ],
        max_shared=2,
        now=NOW,
    )
    assert [o.status for o in outcomes] == ["recorded"]
    index = _index(graph)
    assert ("email", "g.hopper@example.org", "crm:2") in index
    assert all(key != "grace@example.org" for _, key, _ in index)
    assert graph.query("customers_by_email", email="grace@example.org") == []
    if graph.backend != "ladybug":
        return
    rebuilt = tmp_path / "rebuilt.lbug"
    with open_store(str(rebuilt)) as clean:
        load_bundle(clean, TINY, rejects_path=tmp_path / "r2.csv", max_shared=2)
        apply_events(
            clean,
            [
                {"touchpoint_id": "C1", "at": "2024-04-01T10:00:00Z", "channel": "web"}
                | {"kind": "view", "customer": grace}
            ],
            max_shared=2,
            now=NOW,
        )
        clean._conn.execute("MATCH (i:Identifier) DETACH DELETE i")
        assert index_stored_records(clean) == len(graph.all_nodes("Identifier"))
        assert _index(clean) == index


def test_a_graph_loaded_before_the_index_gets_it_from_the_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from graph360.cli import app

    db = str(tmp_path / "old.lbug")
    with open_store(db) as old:
        load_bundle(old, TINY, rejects_path=tmp_path / "r.csv", max_shared=2)
        expected = _index(old)
        old._conn.execute("MATCH (i:Identifier) DETACH DELETE i")  # as before the index
        assert old.query("customers_by_email", email="grace@example.org") == []
    result = CliRunner().invoke(app, ["index-identifiers", "--store", db])
    assert result.exit_code == 0, result.output
    assert f"indexed {len({k for _, k, _ in expected})} identifiers" in result.stdout
    with open_store(db) as graph:
        assert _index(graph) == expected
        assert resolve_customer(graph, "grace@example.org") == GRACE
