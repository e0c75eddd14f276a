"""``graph360 themes``: exact answers on a bundle of four themes (tests/voices_support.py), its
filters, masking on every surface, and the voices table of the facts projection."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from graph360 import facts
from graph360.analytics.themes import ThemesReport, fit_themes, themes
from graph360.cli import app
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.facts.tables import VOICES
from graph360.ingest import sentiment
from graph360.ingest.load import load_bundle
from graph360.privacy import MASKED, OPERATOR
from graph360.store import GraphStore
from tests.voices_support import THEMES, TOUCHPOINTS, write_voices_bundle

WORDS = {"delivery": "delivery", "refund": "refund", "app": "app", "price": "price"}
BY_ID = {row[0]: row for row in TOUCHPOINTS}


@pytest.fixture
def voices(store: GraphStore, tmp_path: Path) -> GraphStore:
    load_bundle(store, write_voices_bundle(tmp_path / "voices"))
    return store


def _named(report: ThemesReport) -> dict[str, object]:
    """Each theme by the one theme word among its terms (exactly one, or the test fails)."""
    out = {}
    for theme in report.themes:
        found = [name for name, word in WORDS.items() if word in theme.terms]
        assert len(found) == 1, (theme.label, theme.terms)
        out[found[0]] = theme
    return out


def _negative_share(ids: list[str]) -> float:
    given = [BY_ID[i][8] for i in ids]
    texts = pd.Series([BY_ID[i][9] for i in ids])
    computed = sentiment.score(texts).to_numpy()
    values = [float(g) if g != "" else c for g, c in zip(given, computed, strict=True)]
    return float(np.mean(np.array(values) < sentiment.NEGATIVE))


def test_themes_finds_the_four_themes_with_their_figures(voices: GraphStore) -> None:
    report = themes(voices, top=4)
    assert report.texts == 13  # the page title is nobody's voice
    assert report.distinct_texts == 13 and report.unthemed == 0
    named = _named(report)
    assert set(named) == set(THEMES)
    for name, ids in THEMES.items():
        theme = named[name]
        assert theme.volume == len(ids)
        assert theme.share == pytest.approx(len(ids) / 13)
        assert theme.with_sentiment == len(ids)
        assert theme.share_negative == pytest.approx(_negative_share(ids))
        assert set(theme.examples) <= {BY_ID[i][9] for i in ids} and len(theme.examples) == 3
        months: dict[str, int] = {}
        for i in ids:
            months[BY_ID[i][1][:7]] = months.get(BY_ID[i][1][:7], 0) + 1
        assert theme.trend == [{"month": m, "texts": n} for m, n in sorted(months.items())]
    assert named["delivery"].steps == [{"step_id": "deliver", "step": "Delivery", "texts": 4}]
    assert named["refund"].departments == [
        {"department_id": "care", "department": "Customer Care", "texts": 3}
    ]
    assert named["refund"].share_negative == pytest.approx(2 / 3)  # the source's -0.5, -0.5, 0.2
    assert [t.volume for t in report.themes] == [4, 3, 3, 3]
    assert report.as_of is not None and report.as_of["graph_version"] >= 1


def test_themes_filters(voices: GraphStore) -> None:
    care = themes(voices, department="care", top=1)
    assert care.texts == 3 and [t.volume for t in care.themes] == [3]
    assert "refund" in care.themes[0].terms
    buy = themes(voices, journey="buy", top=3)
    assert buy.texts == 10
    assert sorted(_named(buy)) == ["app", "delivery", "price"]
    march = themes(voices, since=dt.datetime(2026, 3, 1), until=dt.datetime(2026, 3, 4), top=2)
    assert march.texts == 3  # P1 P2 P3 (R3 is on the 8th)
    gamers = themes(voices, persona="gamer", top=4)
    assert gamers.texts == sum(1 for row in TOUCHPOINTS[:-1] if row[3] == "3")
    nobody = themes(voices, segment="no-such-segment")
    assert nobody.texts == 0 and nobody.themes == []
    with pytest.raises(NotFoundError, match="no journey 'nope'"):
        themes(voices, journey="nope")
    with pytest.raises(NotFoundError, match="no department 'nope'"):
        themes(voices, department="nope")
    with pytest.raises(InvalidRequestError, match="top must be between 1 and 30"):
        themes(voices, top=0)


def test_examples_are_masked_for_an_audience_without_contacts(voices: GraphStore) -> None:
    report = themes(voices, department="care", top=1)
    seen = report.for_audience(OPERATOR).themes[0].examples
    masked = report.for_audience(MASKED).themes[0].examples
    assert any("grace@example.org" in x for x in seen)
    assert not any("grace@example.org" in x for x in masked)
    assert any("refund not received" in x for x in masked)
    assert report.themes[0].examples == seen  # the report itself is left as it was


def test_themes_command(voices: GraphStore, tmp_path: Path) -> None:
    location = voices.location
    voices.close()
    runner = CliRunner()
    done = runner.invoke(
        app, ["themes", "--store", location, "--top", "4", "--masked", "--format", "json"]
    )
    assert done.exit_code == 0, done.output
    answer = json.loads(done.output)
    assert answer["texts"] == 13 and len(answer["themes"]) == 4
    assert "grace@example.org" not in done.output
    plain = runner.invoke(
        app, ["themes", "--store", location, "--department", "care", "--format", "json"]
    )
    assert plain.exit_code == 0 and "grace@example.org" in plain.output
    table = runner.invoke(app, ["themes", "--store", location, "--top", "4"])
    assert table.exit_code == 0 and "13 texts (13 distinct)" in table.output
    bad = runner.invoke(app, ["themes", "--store", location, "--journey", "nope"])
    assert bad.exit_code == 1 and "no journey 'nope'" in bad.output
    assert "Traceback" not in bad.output
    csv = runner.invoke(app, ["themes", "--store", location, "--format", "csv", "--top", "4"])
    assert csv.exit_code == 0 and csv.output.splitlines()[0].startswith("theme,texts,share")


def test_facts_voices(voices: GraphStore) -> None:
    """Every voice-kind touchpoint with text and every one with a source sentiment, in
    touchpoint-code order, with its key, text and the sentiment analytics read."""
    projection = facts.build(voices)
    table = projection.tables[VOICES]
    got = {
        key: (text, value, computed)
        for key, text, value, computed in zip(
            table.column("key").to_pylist(),
            table.column("text").to_pylist(),
            table.column("sentiment").to_pylist(),
            table.column("computed").to_pylist(),
            strict=True,
        )
    }
    assert sorted(got) == sorted(row[0] for row in TOUCHPOINTS[:-1])  # not the page title W1
    for tid, (text, value, computed) in got.items():
        row = BY_ID[tid]
        assert text == row[9]
        if row[8]:
            assert value == float(row[8]) and computed is False
        else:
            assert value == pytest.approx(sentiment.score(pd.Series([row[9]]))[0])
            assert computed is True
    codes = table.column("touchpoint").to_pylist()
    assert codes == sorted(codes)


def test_fit_themes_weighs_repeated_texts_and_leaves_wordless_ones() -> None:
    texts = ["refund please", "refund now", "app crash", "12345", "the and of"]
    fitted = fit_themes(texts, np.array([5, 5, 1, 1, 1]), 2)
    assert fitted.theme[0] == fitted.theme[1] != fitted.theme[2]
    assert fitted.theme[3] == -1 and fitted.theme[4] == -1
    assert fit_themes([], np.zeros(0, dtype=int), 3).theme.size == 0
    assert (fit_themes(["the of", "and"], np.array([1, 1]), 2).theme == -1).all()


@pytest.fixture(scope="module")
def voices_api(tmp_path_factory: pytest.TempPathFactory):
    """The voices bundle on the embedded store, behind the real ASGI app."""
    from api_support import serve
    from helpers import empty_store

    folder = tmp_path_factory.mktemp("voices-api")
    graph = empty_store("ladybug", folder)
    load_bundle(graph, write_voices_bundle(folder / "voices"))
    location = graph.location
    graph.close()
    yield from serve(location, folder)


THEMES_QUERY = """query($d: String) { themes(department: $d, top: 4) {
  texts unthemed themes { label volume shareNegative examples
  trend { month texts } steps { stepId step texts } departments { departmentId texts } }
  asOf { graphVersion } } }"""


def test_themes_over_graphql_masks_examples_by_role(voices_api) -> None:
    admin = voices_api.gql(THEMES_QUERY, {"d": "care"}, role="admin")["themes"]
    analyst = voices_api.gql(THEMES_QUERY, {"d": "care"}, role="analyst")["themes"]
    assert admin["texts"] == analyst["texts"] == 3
    assert any("grace@example.org" in x for t in admin["themes"] for x in t["examples"])
    assert not any("grace@example.org" in x for t in analyst["themes"] for x in t["examples"])
    places = [d for t in admin["themes"] for d in t["departments"]]
    assert {d["departmentId"] for d in places} == {"care"}
    assert sum(d["texts"] for d in places) == 3
    assert admin["asOf"]["graphVersion"] >= 1
    everything = voices_api.gql(THEMES_QUERY, {"d": None}, role="analyst")["themes"]
    assert sorted(t["volume"] for t in everything["themes"]) == [3, 3, 3, 4]
    refused = voices_api.errors(THEMES_QUERY, {"d": None}, role="agent")
    assert any("analytics:read" in message for message in refused)
    unknown = voices_api.errors(THEMES_QUERY, {"d": "nope"}, role="analyst")
    assert unknown == ["no department 'nope' (departments: care, digital, logistics, sales)"]


def test_the_mood_over_graphql(voices_api) -> None:
    """The funnel's and the audit's steps carry their mood (graph360.analytics.mood)."""
    query = """{ funnel(journey: "buy") { steps { stepId mood { ratings sharePoor themes } } }
      ownershipAudit(journey: "help") { steps { stepId status mood { shareNegative } } } }"""
    data = voices_api.gql(query, role="analyst")
    steps = {s["stepId"]: s["mood"] for s in data["funnel"]["steps"]}
    assert steps["deliver"]["ratings"] == 2 and steps["deliver"]["sharePoor"] == 1.0
    assert "delivery" in steps["deliver"]["themes"][0]
    (support,) = data["ownershipAudit"]["steps"]
    assert support["stepId"] == "support"
    assert support["mood"]["shareNegative"] == pytest.approx(2 / 3)


def test_the_card_says_what_they_are_not_saying_over_graphql(voices_api) -> None:
    """Grace (crm:2) wrote a review and a mention that nobody answered within 14 days (her
    ticket came later): both are on her card (graph360.analytics.silence)."""
    query = """{ customer(ref: "crm:2") { silence { unansweredVoices silentChurnRisk
      latestUnanswered { touchpointId kind } } } }"""
    found = voices_api.gql(query, role="admin")["customer"]["silence"]
    assert found["unansweredVoices"] == 2 and found["silentChurnRisk"] is False
    assert [v["touchpointId"] for v in found["latestUnanswered"]] == ["D2", "A3"]
