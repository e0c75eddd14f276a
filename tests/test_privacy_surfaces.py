"""The privacy part on its surfaces: the CLI (erase, export-person, retention, suppression
lift, consent set, erasure-log) and the GraphQL API through the real ASGI app (personExport,
erasePerson, liftSuppression, setConsent, consent on the card, the access log, roles)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Api, tiny_api
from helpers import TINY
from typer.testing import CliRunner

from graph360 import model
from graph360.cli import EXIT_REFUSED, app
from graph360.export_person import FORMAT, SECTIONS
from graph360.ingest.load import load_bundle
from graph360.store import open_store

runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path: Path) -> str:
    location = str(tmp_path / "g.lbug")
    graph = open_store(location)
    load_bundle(graph, TINY, rejects_path=tmp_path / "r.csv", max_shared=2)
    graph.close()
    return location


def test_every_label_that_can_hold_a_person_is_exported() -> None:
    """A label linked to Customer (or to what is) has an export section; new labels must say."""
    assert set(SECTIONS) == set(model.NODES)
    linked = {r.source for r in model.rels_touching("Customer")}
    linked |= {r.target for r in model.rels_touching("Customer")}
    linked |= {"Identifier"}  # through SourceRecord
    assert {label for label in linked if SECTIONS[label] is None} == set()


def test_export_person_writes_every_section(db: str, tmp_path: Path) -> None:
    _cli("consent", "set", "crm:1", "sms", "refused", "--store", db, "--source", "desk")
    out = tmp_path / "person.json"
    result = _cli("export-person", "ada@example.org", "-o", str(out), "--store", db)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    document = json.loads(out.read_text())
    assert (document["format"], document["version"]) == (FORMAT, 1)
    assert set(document) >= {s for s in SECTIONS.values() if s}
    assert document["customer"]["name"] == "Ada Lovelace"
    assert sorted(r["record_key"] for r in document["source_records"]) == [
        "crm:1",
        "shop:A-77",
        "support:Z9",
    ]
    crm = next(r for r in document["source_records"] if r["record_key"] == "crm:1")
    assert crm["attributes"] == {"loyalty_tier": "gold"}  # as loaded
    assert {m["rule"] for m in document["merge_history"]} >= {"source_id"}
    assert [t["touchpoint_id"] for t in document["touchpoints"]] == ["T1", "T2", "T3", "T5"]
    assert document["touchpoints"][0]["campaign_id"] == "CMP1"
    assert [a["account_id"] for a in document["accounts"]] == ["ACC1"]
    assert {r["kind"] for r in document["relationships"]} == {"referred", "follows"}
    assert all("customer_id" not in r and "name" not in r for r in document["relationships"])
    assert sorted(c["campaign_id"] for c in document["campaigns"]) == ["CMP1", "CMP2"]
    assert [(c["purpose"], c["status"], c["source"]) for c in document["consents"]] == [
        ("sms", "refused", "desk")
    ]
    missing = _cli("export-person", "nobody@example.org", "--store", db)
    assert missing.exit_code == EXIT_REFUSED
    assert "no customer with e-mail nobody@example.org" in missing.output


def test_erase_and_lift_on_the_command_line(db: str) -> None:
    result = _cli("erase", "ada@example.org", "--store", db, "--mode", "anonymise")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "erased (anonymise)" in said and "5 identifier(s) suppressed" in said
    log = _cli("erasure-log", "--store", db, "--format", "json")
    (entry,) = json.loads(log.output)
    assert (entry["mode"], entry["by"], entry["reason"]) == ("anonymise", "cli", "request")
    again = _cli("erase", "ada@example.org", "--store", db)
    assert again.exit_code == EXIT_REFUSED and "no customer with e-mail" in again.output
    bad = _cli("erase", "crm:2", "--store", db, "--mode", "shred")
    assert bad.exit_code == 2 and "unknown erasure mode 'shred'" in bad.output
    lifted = _cli("suppression", "lift", "+44 20 7946 0001", "--store", db)
    assert lifted.exit_code == 0 and "lifted: phone" in lifted.output
    not_listed = _cli("suppression", "lift", "+44 20 7946 0001", "--store", db)
    assert not_listed.exit_code == EXIT_REFUSED
    assert "is not on the suppression list" in not_listed.output


def test_retention_dry_run_then_real_run(db: str) -> None:
    # The tiny graph's activity is in 2023-2024: at 3 years from today every dated person is
    # inactive; 100 years leaves everyone.
    none = json.loads(_cli("retention", "--inactive-for", "100y", "--dry-run", "--store", db,
                           "--format", "json").output)  # fmt: skip
    assert (none["inactive"], none["dry_run"]) == (0, True)
    dry = _cli("retention", "--inactive-for", "2y", "--dry-run", "--store", db, "-f", "json")
    listed = json.loads(dry.output)
    assert listed["inactive"] >= 3 and listed["erased"] == 0
    assert listed["customers"] >= listed["inactive"] + listed["no_activity_known"]
    ids = [p["customer_id"] for p in listed["people"]]
    lasts = [p["last_activity"] for p in listed["people"]]
    assert lasts == sorted(lasts)
    graph = open_store(db, read_only=True)
    assert all(graph.query("customer_exists", customer_id=i) for i in ids)  # nothing went
    graph.close()
    table = _cli("retention", "--inactive-for", "2y", "--dry-run", "--store", db)
    said = " ".join(table.output.split())
    assert f"{listed['inactive']} of {listed['customers']} people inactive for 2y" in said
    real = json.loads(_cli("retention", "--inactive-for", "2y", "--store", db, "-f", "json").output)
    assert real["erased"] == listed["inactive"] and len(real["erasure_ids"]) == real["erased"]
    assert real["removed"]["records"] >= real["erased"]
    graph = open_store(db, read_only=True)
    assert not any(graph.query("customer_exists", customer_id=i) for i in ids)
    assert {r["reason"] for r in graph.query("erasure_logs", limit=100)} == {"retention"}
    graph.close()
    bad = _cli("retention", "--inactive-for", "soon", "--dry-run", "--store", db)
    assert bad.exit_code == 2 and "give a positive number and d, w, m or y" in bad.output


# --- GraphQL -------------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("GRAPH360_ACCESS_LOG", str(tmp_path / "access.jsonl"))
    yield from tiny_api(tmp_path)


EXPORT = "query($ref: String!) { personExport(ref: $ref) }"
ERASE = 'mutation($ref: String!) { erasePerson(ref: $ref, mode: "delete") }'


def test_only_admins_export_erase_lift_and_read_the_logs(api: Api) -> None:
    for role in ("agent", "analyst"):
        for query in (EXPORT, ERASE):
            (message,) = api.errors(query, {"ref": "crm:1"}, role=role)
            assert "needs 'privacy:admin'" in message
        (message,) = api.errors("{ accessLog }", role=role)
        assert "needs 'privacy:admin'" in message
        (message,) = api.errors('mutation { liftSuppression(value: "x@example.org") }', role=role)
        assert "needs 'privacy:admin'" in message


def test_export_and_erase_over_graphql_are_logged_without_the_key(api: Api) -> None:
    api.gql('{ customer(ref: "ada@example.org") { name } }', role="agent")
    api.gql('{ customers(search: "+44 20 7946 0001") { edges { node { id } } } }', role="agent")
    document = api.gql(EXPORT, {"ref": "crm:1"})["personExport"]
    assert document["customer"]["name"] == "Ada Lovelace"
    report = api.gql(ERASE, {"ref": "crm:1"})["erasePerson"]
    assert report["mode"] == "delete" and report["by"] == "test-admin"
    (message,) = api.errors(EXPORT, {"ref": "crm:1"})
    assert "no customer 'crm:1'" in message
    assert api.gql('mutation { liftSuppression(value: "ADA@example.org") }') == {
        "liftSuppression": ["email"]
    }
    log = api.gql("{ accessLog }")["accessLog"]
    assert [(e["key"], e["action"], e.get("lookup")) for e in log] == [
        ("test-admin", "lift_suppression", None),
        ("test-admin", "erase", None),
        ("test-admin", "export_person", None),
        ("test-agent", "card_by_contact", "phone"),
        ("test-agent", "card_by_contact", "email"),
    ]
    assert all(dt.datetime.fromisoformat(e["at"]) for e in log)
    text = json.dumps(log)
    for secret in (*api.tokens.values(), "ada@example.org", "7946", "Lovelace"):
        assert secret not in text
    erasures = api.gql("{ erasureLog }")["erasureLog"]
    assert [e["by"] for e in erasures] == ["test-admin"]


def test_set_consent_and_the_card_shows_it(api: Api) -> None:
    customer = api.gql('{ customer(ref: "crm:2") { id consent { purpose status } } }')
    assert customer["customer"]["consent"] == []
    cid = customer["customer"]["id"]
    setting = """mutation($id: ID!) { setConsent(customerId: $id, purpose: "sms",
                 status: "refused") { purpose channel status source } }"""
    assert api.gql(setting, {"id": cid}, role="agent")["setConsent"] == {
        "purpose": "sms",
        "channel": "sms",
        "status": "refused",
        "source": "api:test-agent",
    }
    card = api.gql('{ customer(ref: "crm:2") { consent { purpose channel status } } }')
    assert card["customer"]["consent"] == [
        {"purpose": "sms", "channel": "sms", "status": "refused"}
    ]
    (message,) = api.errors(setting.replace('"refused"', '"maybe"'), {"id": cid}, role="agent")
    assert "unknown consent status 'maybe'" in message
    (message,) = api.errors(setting, {"id": cid}, role="analyst")
    assert "needs 'consent:write'" in message
