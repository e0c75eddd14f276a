"""The mood at each step (graph360.analytics.mood), exact on the voices bundle, and where it
shows: the funnel, the audit (both paths, CLI and GraphQL) and the journey view."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from graph360.analytics.journeys import journey_funnel
from graph360.analytics.mood import step_moods
from graph360.analytics.ownership.audit import ownership_audit
from graph360.cli import app
from graph360.ingest import sentiment
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore
from tests.voices_support import TOUCHPOINTS, write_voices_bundle


@pytest.fixture
def voices(store: GraphStore, tmp_path: Path) -> GraphStore:
    load_bundle(store, write_voices_bundle(tmp_path / "voices"))
    return store


def _said(ids: list[str]) -> np.ndarray:
    rows = {r[0]: r for r in TOUCHPOINTS}
    given = [rows[i][8] for i in ids]
    computed = sentiment.score(pd.Series([rows[i][9] for i in ids])).to_numpy()
    return np.array([float(g) if g else c for g, c in zip(given, computed, strict=True)])


def test_step_moods(voices: GraphStore) -> None:
    moods = step_moods(voices)
    assert sorted(moods) == ["browse", "deliver", "pay", "support"]
    deliver = moods["deliver"]
    assert (deliver.ratings, deliver.share_poor) == (2, 1.0)
    assert deliver.average_rating == pytest.approx(0.3)  # 1 and 2 of 5
    said = _said(["D1", "D2", "D3", "D4"])
    assert deliver.sentiments == 4
    assert deliver.average_sentiment == pytest.approx(said.mean())
    assert deliver.share_negative == pytest.approx((said < sentiment.NEGATIVE).mean())
    assert "delivery" in deliver.themes[0] and 1 <= len(deliver.themes) <= 3
    pay = moods["pay"]
    assert pay.ratings == 3 and pay.average_rating == pytest.approx((0.4 + 0.6 + 0.9) / 3)
    assert pay.share_poor == pytest.approx(2 / 3)  # 4 and 6 of 10 are poor, 9 is not
    support = moods["support"]
    assert support.ratings == 0 and support.average_rating is None
    assert support.sentiments == 3
    assert support.average_sentiment == pytest.approx((-0.5 - 0.5 + 0.2) / 3)
    assert support.share_negative == pytest.approx(2 / 3)
    assert "refund" in support.themes[0]
    browse = moods["browse"]  # the page title W1 is neither rated nor a voice
    assert browse.ratings == 2 and browse.sentiments == 3
    march = step_moods(voices, since=dt.datetime(2026, 3, 1))
    assert sorted(march) == ["pay", "support"]
    assert march["support"].sentiments == 1 and march["support"].share_negative == 0.0


def test_the_funnel_and_the_audit_carry_the_mood(voices: GraphStore) -> None:
    moods = step_moods(voices)
    funnel = journey_funnel(voices, "buy")
    assert {s.step_id: s.mood for s in funnel.steps} == {
        "browse": moods["browse"],
        "pay": moods["pay"],
        "deliver": moods["deliver"],
    }
    direct = journey_funnel(voices, "buy", use_facts=False)
    assert [s.mood for s in direct.steps] == [s.mood for s in funnel.steps]
    row = next(r for r in funnel.step_rows() if r["step_id"] == "deliver")
    assert row["ratings"] == 2 and row["share_poor"] == 1.0 and "delivery" in row["themes"]
    audit = ownership_audit(voices)
    by_step = {s.step_id: s for s in audit.steps}
    assert by_step["deliver"].status == "unowned"
    assert by_step["deliver"].mood == moods["deliver"]
    assert by_step["support"].mood == moods["support"]
    from graph360.analytics.ownership.markdown import audit_markdown

    report = audit_markdown(audit)
    assert "- What people said here: 2 ratings averaging 30% of the scale (100% poor)" in report
    flat = next(r for r in audit.step_rows() if r["step_id"] == "support")
    assert flat["share_negative"] == pytest.approx(2 / 3) and "mood" not in flat


def test_the_commands_show_the_mood(voices: GraphStore) -> None:
    location = voices.location
    voices.close()
    runner = CliRunner()
    funnel = runner.invoke(app, ["funnel", "buy", "--store", location, "--format", "json"])
    assert funnel.exit_code == 0, funnel.output
    steps = {s["step_id"]: s for s in json.loads(funnel.output)["steps"]}
    assert steps["deliver"]["mood"]["share_poor"] == 1.0
    audit = runner.invoke(app, ["audit", "--store", location, "--format", "csv"])
    assert audit.exit_code == 0
    header = audit.output.splitlines()[0].split(",")
    assert {"average_rating", "share_negative", "themes"} <= set(header)
    table = runner.invoke(app, ["audit", "--store", location], env={"COLUMNS": "250"})
    assert table.exit_code == 0 and "negative" in table.output and "30%" in table.output


def test_the_journey_view_shows_the_mood(voices: GraphStore) -> None:
    from graph360.views.journey import build

    graph = build(voices, "buy")
    deliver = next(n for n in graph.nodes if n["id"] == "s:deliver")
    assert "2 ratings, average 30% of the scale" in deliver["title"]
    assert "What they raise" in deliver["title"]
