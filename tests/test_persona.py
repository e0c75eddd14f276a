"""One persona or segment at a time (graph360.facts.people): the funnel, the audit, the
coverage and the journey view of some customers are exactly those of a graph holding only
them, and every surface (analytic, CLI, GraphQL, view) gives the same answer."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import empty_store
from typer.testing import CliRunner

from graph360.analytics.coverage import coverage
from graph360.analytics.journeys import journey_funnel
from graph360.analytics.ownership.audit import ownership_audit
from graph360.cli import app
from graph360.errors import InvalidRequestError
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore
from graph360.views import journey as journey_view
from tests.voices_support import CUSTOMERS, write_voices_bundle

AS_OF = "2026-06-01"


@pytest.fixture
def voices(store: GraphStore, tmp_path: Path) -> GraphStore:
    load_bundle(store, write_voices_bundle(tmp_path / "voices"))
    return store


def _only(folder: Path, keep: set[str]) -> Path:
    """The voices bundle with only the customers ``keep`` (ids) and their touchpoints."""
    write_voices_bundle(folder)
    for name, column in (("customers.csv", "customer_id"), ("touchpoints.csv", "customer_id")):
        with (folder / name).open() as handle:
            rows = list(csv.DictReader(handle))
        with (folder / name).open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(r for r in rows if r[column] in keep)
    return folder


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k not in ("as_of", "graph_as_of", "persona")}
    return {k: v for k, v in data.items() if k != "segment"}


CHOICES = [
    ({"persona": "gamer"}, {"3"}),
    ({"persona": "reader"}, {"1", "2"}),
    ({"segment": "basic"}, {"2", "3"}),
    ({"persona": "reader", "segment": "basic"}, {"2"}),
]


@pytest.mark.parametrize(("chosen", "ids"), CHOICES)
def test_one_persona_is_the_graph_of_its_customers(
    voices: GraphStore, tmp_path: Path, chosen: dict[str, str], ids: set[str]
) -> None:
    import datetime as dt

    as_of = dt.datetime(2026, 6, 1)
    alone = empty_store("ladybug", tmp_path / "alone")
    try:
        load_bundle(alone, _only(tmp_path / "only", ids))
        for journey in ("buy", "help"):
            ours = journey_funnel(voices, journey, **chosen).to_dict()
            assert {k: ours[k] for k in chosen} == chosen
            assert _plain(ours) == _plain(journey_funnel(alone, journey).to_dict())
        ours = ownership_audit(voices, as_of=as_of, **chosen).to_dict()
        theirs = ownership_audit(alone, as_of=as_of).to_dict()
        ours["coverage"], theirs["coverage"] = _plain(ours["coverage"]), _plain(theirs["coverage"])
        assert _plain(ours) == _plain(theirs)
        assert _plain(coverage(voices, **chosen).to_dict()) == _plain(coverage(alone).to_dict())
    finally:
        alone.close()


def test_the_gamer_funnel_exactly(voices: GraphStore) -> None:
    """Alan (crm:3, the one gamer): browse on 9 January, delivery on 3 February, pay on
    3 March: every step once, pay reached after delivery (out of order)."""
    funnel = journey_funnel(voices, "buy", persona="gamer")
    assert funnel.customers == 1 and funnel.out_of_order_customers == 1
    steps = {s.step_id: s for s in funnel.steps}
    assert [(s.step_id, s.customers) for s in funnel.steps] == [
        ("browse", 1),
        ("pay", 1),
        ("deliver", 1),
    ]
    assert (steps["deliver"].before_previous, steps["deliver"].conversion) == (1, 1.0)
    assert [p.steps for p in funnel.paths] == [["browse", "deliver", "pay"]]
    assert steps["browse"].mood is not None and steps["browse"].mood.ratings == 2  # A1, A2
    everyone = journey_funnel(voices, "buy")
    assert everyone.customers == 3 and everyone.steps[0].mood.ratings == 2
    assert journey_funnel(voices, "buy", persona="nobody").customers == 0
    with pytest.raises(InvalidRequestError):
        journey_funnel(voices, "buy", persona="gamer", use_facts=False)
    audit = ownership_audit(voices, persona="gamer")
    assert [(s.step_id, s.touchpoints, s.stuck) for s in audit.steps] == [
        ("browse", 3, 1),  # A1, A2 and the page view W1
        ("pay", 1, 0),
        ("deliver", 1, 0),
        ("support", 1, 1),
    ]
    assert len(CUSTOMERS) == 3


def test_every_surface_gives_the_same_persona_answer(voices: GraphStore) -> None:
    runner = CliRunner()
    store = ["--store", voices.location]
    asked = journey_funnel(voices, "buy", persona="reader")
    result = runner.invoke(app, ["funnel", "buy", "--persona", "reader", "-f", "json", *store])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    assert cli["persona"] == "reader"
    assert [s["customers"] for s in cli["steps"]] == [s.customers for s in asked.steps] == [1, 2, 2]
    result = runner.invoke(app, ["audit", "--segment", "premium", "-f", "json", *store])
    assert result.exit_code == 0, result.output
    audit = json.loads(result.output)
    expected = ownership_audit(voices, segment="premium")
    assert [s["stuck"] for s in audit["steps"]] == [s.stuck for s in expected.steps]
    assert audit["coverage"]["customers"] == 1
    result = runner.invoke(app, ["audit", "--persona", "gamer", "-f", "md", *store])
    assert "Customers: persona gamer only." in result.output
    assert "## Data coverage" in result.output
    view = journey_view.build(voices, "buy", persona="reader")
    shown = dict(view.facts)
    assert shown["Customers in the funnel"].startswith(f"{asked.customers} (")  # 2 readers
    assert view.variables["persona"] == "reader"
    assert ("Persona", "reader") in view.facts
    result = runner.invoke(
        app, ["view", "journey", "buy", "--persona", "reader", "-o", "j.html", *store]
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def voices_api(tmp_path_factory: pytest.TempPathFactory):
    """The voices bundle on the embedded store, behind the real ASGI app."""
    from api_support import serve

    folder = tmp_path_factory.mktemp("persona-api")
    graph = empty_store("ladybug", folder)
    load_bundle(graph, write_voices_bundle(folder / "voices"))
    location = graph.location
    graph.close()
    yield from serve(location, folder)


def test_persona_over_graphql_and_the_view(voices_api) -> None:
    query = """query($p: String, $s: String) {
      funnel(journey: "buy", persona: $p, segment: $s) { customers persona segment
        steps { stepId customers } }
      ownershipAudit(journey: "buy", persona: $p, segment: $s) { persona
        steps { stepId touchpoints stuck } coverage { customers stepsWithoutData } } }"""
    data = voices_api.gql(query, {"p": "reader", "s": None}, role="analyst")
    assert data["funnel"]["customers"] == 2 and data["funnel"]["persona"] == "reader"
    assert [s["customers"] for s in data["funnel"]["steps"]] == [1, 2, 2]
    assert data["ownershipAudit"]["coverage"] == {"customers": 2, "stepsWithoutData": []}
    gamer = voices_api.gql(query, {"p": None, "s": "premium"}, role="analyst")
    assert [s["customers"] for s in gamer["funnel"]["steps"]] == [0, 1, 1]
    page = voices_api.client.get(
        "/views/journey?journey=buy&persona=reader",
        auth=("analyst", voices_api.tokens["analyst"]),
    )
    assert page.status_code == 200 and "reader" in page.text
