"""Data coverage (graph360.analytics.coverage): exact answers on a bundle from three systems,
and the same answer from the analytic, the CLI, GraphQL and the audit."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import empty_store
from typer.testing import CliRunner

from graph360.analytics.coverage import coverage
from graph360.analytics.ownership.audit import ownership_audit
from graph360.analytics.ownership.markdown import audit_markdown
from graph360.cli import app
from graph360.errors import NotFoundError
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore

FILES = {
    "customers.csv": [
        ["source", "customer_id", "name", "email", "persona"],
        ["crm", "1", "Ada Lovelace", "ada@example.org", "reader"],
        ["shop", "s1", "Ada Lovelace", "ada@example.org", "reader"],  # the same Ada
        ["crm", "2", "Grace Hopper", "grace@example.org", "reader"],
        ["support", "z3", "Alan Turing", "alan@example.org", "gamer"],
    ],
    "journeys.csv": [["journey_id", "name"], ["buy", "Buy"]],
    "journey_steps.csv": [
        ["step_id", "journey_id", "name", "position"],
        ["browse", "buy", "Browse", "1"],
        ["pay", "buy", "Pay", "2"],
        ["deliver", "buy", "Delivery", "3"],
    ],
    "touchpoints.csv": [
        ["touchpoint_id", "at", "channel", "kind", "source", "customer_id", "step_id"],
        ["T1", "2026-01-01T10:00:00Z", "web", "page_view", "crm", "1", "browse"],
        ["T2", "2026-01-02T10:00:00Z", "web", "page_view", "shop", "s1", "browse"],
        ["T3", "2026-01-03T10:00:00Z", "web", "purchase", "shop", "s1", "pay"],
        ["T4", "2026-01-04T10:00:00Z", "web", "purchase", "crm", "2", "pay"],
        ["T5", "2026-01-05T10:00:00Z", "web", "purchase", "crm", "2", "pay"],
        ["T6", "2026-01-06T10:00:00Z", "phone", "ticket", "support", "z3", ""],
    ],
}


@pytest.fixture
def systems(store: GraphStore, tmp_path: Path) -> GraphStore:
    folder = tmp_path / "systems"
    folder.mkdir()
    for name, rows in FILES.items():
        with (folder / name).open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    load_bundle(store, folder)
    return store


def test_coverage_exactly(systems: GraphStore) -> None:
    c = coverage(systems)
    # Ada: crm and shop; Grace: crm; Alan: support
    assert (c.customers, c.unknown, c.single_system) == (3, 0, 2)
    assert c.share_single_system == pytest.approx(2 / 3)
    assert c.by_systems == [{"systems": 1, "customers": 2}, {"systems": 2, "customers": 1}]
    assert [(s.source, s.records, s.customers, s.only_here, s.touchpoints) for s in c.systems] == [
        ("crm", 2, 2, 1, 3),
        ("shop", 1, 1, 0, 2),
        ("support", 1, 1, 1, 1),
    ]
    steps = {s.step_id: s for s in c.steps}
    assert [s.step_id for s in c.steps] == ["browse", "pay", "deliver"]
    assert steps["browse"].sources == [
        {"source": "crm", "touchpoints": 1, "share": 0.5},
        {"source": "shop", "touchpoints": 1, "share": 0.5},
    ]
    assert [(x["source"], x["touchpoints"]) for x in steps["pay"].sources] == [
        ("crm", 2),
        ("shop", 1),
    ]
    assert steps["deliver"].touchpoints == 0 and steps["deliver"].sources == []
    assert c.steps_without_data == ["deliver"] and c.single_source_steps == []
    assert c.unplaced == [{"source": "support", "touchpoints": 1}]
    gamer = coverage(systems, persona="gamer")
    assert (gamer.customers, gamer.single_system) == (1, 1)
    assert gamer.steps_without_data == ["browse", "pay", "deliver"]
    assert [(s.source, s.customers) for s in gamer.systems] == [("support", 1)]
    readers = coverage(systems, persona="reader", journey="buy")
    assert (readers.customers, readers.single_system, readers.unplaced) == (2, 1, [])
    with pytest.raises(NotFoundError, match="no journey 'nope'"):
        coverage(systems, journey="nope")


def test_coverage_on_every_surface(systems: GraphStore) -> None:
    expected = json.loads(json.dumps(coverage(systems).to_dict(), default=str))
    runner = CliRunner()
    result = runner.invoke(app, ["coverage", "-f", "json", "--store", systems.location])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    assert cli["steps"] == expected["steps"] and cli["systems"] == expected["systems"]
    audit = ownership_audit(systems)
    assert audit.coverage is not None and audit.coverage.steps_without_data == ["deliver"]
    report = audit_markdown(audit)
    assert "| Delivery (`buy`) | 0 | **no data** |" in report
    assert "2 customers of 3 (67%) are known to one system only (crm 1, support 1)." in report
    result = runner.invoke(app, ["coverage", "-j", "nope", "--store", systems.location])
    assert result.exit_code == 1 and "no journey 'nope'" in result.output


@pytest.fixture(scope="module")
def systems_api(tmp_path_factory: pytest.TempPathFactory):
    from api_support import serve

    folder = tmp_path_factory.mktemp("coverage-api")
    (folder / "b").mkdir()
    for name, rows in FILES.items():
        with (folder / "b" / name).open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    graph = empty_store("ladybug", folder)
    load_bundle(graph, folder / "b")
    location = graph.location
    graph.close()
    yield from serve(location, folder)


def test_coverage_and_channels_over_graphql(systems_api) -> None:
    query = """{ coverage { customers singleSystem stepsWithoutData
        systems { source records customers onlyHere touchpoints }
        steps { stepId sources { source touchpoints share } } unplaced { source touchpoints } }
      channels(journey: "buy", goal: "pay") { customers multichannel goal
        sequences { sequence customers } singleCustomers multiCustomers } }"""
    data = systems_api.gql(query, role="analyst")
    c = data["coverage"]
    assert (c["customers"], c["singleSystem"], c["stepsWithoutData"]) == (3, 2, ["deliver"])
    assert c["systems"][0] == {
        "source": "crm",
        "records": 2,
        "customers": 2,
        "onlyHere": 1,
        "touchpoints": 3,
    }
    assert c["unplaced"] == [{"source": "support", "touchpoints": 1}]
    channels = data["channels"]  # Ada and Grace, on the web only
    assert (channels["customers"], channels["multichannel"], channels["goal"]) == (2, 0, ["pay"])
    assert channels["sequences"] == [{"sequence": ["web"], "customers": 2}]
    refused = systems_api.errors("{ coverage { customers } }", role="agent")
    assert any("analytics:read" in m for m in refused)
