"""Feedback per department and agent (graph360.analytics.feedback): exact figures with their
intervals on the voices bundle, the agent_id the mappings fill, its row hash, the command and
the GraphQL field."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats
from typer.testing import CliRunner

from graph360.analytics.feedback import feedback
from graph360.cli import app
from graph360.errors import InvalidRequestError
from graph360.ingest import changes, sentiment
from graph360.ingest.load import load_bundle
from graph360.ingest.rowhash import row_hashes
from graph360.store import GraphStore
from tests.voices_support import TOUCHPOINTS, write_voices_bundle

ROWS = {r[0]: r for r in TOUCHPOINTS}


@pytest.fixture
def voices(store: GraphStore, tmp_path: Path) -> GraphStore:
    load_bundle(store, write_voices_bundle(tmp_path / "voices"))
    return store


def _said(ids: list[str]) -> np.ndarray:
    given = [ROWS[i][8] for i in ids]
    computed = sentiment.score(pd.Series([ROWS[i][9] for i in ids])).to_numpy()
    return np.array([float(g) if g else c for g, c in zip(given, computed, strict=True)])


def _wilson(k: int, n: int) -> list[float]:
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    return [ci.low, ci.high]


def test_feedback_by_department(voices: GraphStore) -> None:
    report = feedback(voices)
    units = {u.unit: u for u in report.units}
    assert sorted(units) == ["care", "digital", "logistics", "sales"]
    care = units["care"]
    assert care.name == "Customer Care" and care.volume == 3 and care.ratings == 0
    assert care.average_rating is None and care.rating_ci is None and care.poor_ci is None
    values = np.array([-0.5, -0.5, 0.2])
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
    assert care.average_sentiment == pytest.approx(values.mean())
    assert care.sentiment_ci == pytest.approx([values.mean() - half, values.mean() + half])
    assert care.share_negative == pytest.approx(2 / 3)
    assert care.negative_ci == pytest.approx(_wilson(2, 3))
    sales = units["sales"]  # P1-P3: 4, 6 and 9 of 10
    assert sales.ratings == 3 and sales.average_rating == pytest.approx(19 / 30)
    assert sales.share_poor == pytest.approx(2 / 3)
    assert sales.poor_ci == pytest.approx(_wilson(2, 3))
    logistics = units["logistics"]
    said = _said(["D1", "D2", "D3", "D4"])
    assert logistics.volume == 4 and logistics.sentiments == 4
    assert logistics.average_sentiment == pytest.approx(said.mean())
    assert [(u.unit, u.volume) for u in report.units] == [
        ("logistics", 4),
        ("care", 3),
        ("digital", 3),  # A1-A3 (the page title W1 says nothing)
        ("sales", 3),
    ]
    assert report.without_unit == 0 and report.left_out == 0
    fewer = feedback(voices, min_volume=4)
    assert [u.unit for u in fewer.units] == ["logistics"] and fewer.left_out == 3


def test_feedback_by_agent(voices: GraphStore) -> None:
    report = feedback(voices, by="agent")
    units = {u.unit: u for u in report.units}
    assert sorted(units) == ["amy", "bob", "carl"]
    amy = units["amy"]
    assert amy.volume == 2 and amy.average_sentiment == -0.5
    assert amy.sentiment_ci == pytest.approx([-0.5, -0.5])  # no spread
    assert amy.share_negative == 1.0 and amy.negative_ci == pytest.approx(_wilson(2, 2))
    assert amy.worst_themes and "refund" in amy.worst_themes[0]["theme"]
    assert amy.worst_themes[0]["share_negative"] == 1.0
    bob = units["bob"]
    assert bob.volume == 1 and bob.sentiment_ci is None and bob.worst_themes == []
    carl = units["carl"]  # D1, D2: ratings 1 and 2 of 5
    assert carl.ratings == 2 and carl.average_rating == pytest.approx(0.3)
    assert report.without_unit == 13 - 5
    with pytest.raises(InvalidRequestError, match="by must be one of department, agent"):
        feedback(voices, by="team")


def test_agent_id_is_stored_and_hashed_only_where_given(voices: GraphStore) -> None:
    got = voices.get_nodes("Touchpoint", pa.array(["R1", "A1"])).to_pylist()
    assert {r["touchpoint_id"]: r["agent_id"] for r in got} == {"R1": "amy", "A1": None}
    anchor = changes.ANCHORS["touchpoints"]
    assert anchor.late == ("agent_id",) and "agent_id" not in anchor.content
    table = pa.table({"a": ["x", "y"], "agent_id": pa.array([None, "amy"], pa.string())})
    hashes = changes.content_hashes(anchor, table)
    before = row_hashes(table.select(["a"]))
    assert hashes[0] == before[0]  # a row without an agent keeps the hash it had
    assert hashes[1] != before[1]


def test_feedback_command_and_graphql(voices: GraphStore, tmp_path: Path) -> None:
    location = voices.location
    voices.close()
    runner = CliRunner()
    done = runner.invoke(app, ["feedback", "--store", location, "--by", "agent", "-f", "json"])
    assert done.exit_code == 0, done.output
    assert [u["unit"] for u in json.loads(done.output)["units"]] == ["amy", "carl", "bob"]
    table = runner.invoke(app, ["feedback", "--store", location], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "Customer Care" in table.output
    bad = runner.invoke(app, ["feedback", "--store", location, "--top", "0"])
    assert bad.exit_code == 2 and "top between 1 and 1000" in bad.output

    from api_support import serve

    for api in serve(location, tmp_path):
        query = (
            '{ feedback(by: "agent") { units { unit volume negativeCi worstThemes { theme } } } }'
        )
        units = api.gql(query, role="analyst")["feedback"]["units"]
        assert [u["unit"] for u in units] == ["amy", "carl", "bob"]
        assert units[0]["negativeCi"] == pytest.approx(_wilson(2, 2))
        assert any("analytics:read" in m for m in api.errors(query, role="agent"))
