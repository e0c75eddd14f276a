"""Multichannel journeys (graph360.analytics.channels): exact figures on a five-customer
journey, the goal step, the test, and the command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from scipy import stats
from typer.testing import CliRunner

from graph360.analytics.channels import multichannel
from graph360.cli import app
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore

#: customer -> (channel, step) in time order
VISITS = {
    "1": [("email", "a"), ("web", "b"), ("web", "c")],
    "2": [("web", "a")],
    "3": [("web", "a"), ("web", "c")],
    "4": [("app", "a"), ("email", "b")],
    "5": [("email", "a"), ("web", "b"), ("app", "c")],
}


def _bundle(folder: Path) -> Path:
    folder.mkdir()
    (folder / "customers.csv").write_text(
        "source,customer_id,name\n" + "".join(f"crm,{c},P{c}\n" for c in VISITS)
    )
    (folder / "journeys.csv").write_text("journey_id,name\nj,Journey\n")
    (folder / "journey_steps.csv").write_text(
        "step_id,journey_id,name,position\na,j,A,1\nb,j,B,2\nc,j,C,3\n"
    )
    with (folder / "touchpoints.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["touchpoint_id", "at", "channel", "kind", "source", "customer_id", "step_id"])
        for who, visits in VISITS.items():
            for k, (channel, step) in enumerate(visits):
                at = f"2026-01-0{k + 1}T10:00:00Z"
                w.writerow([f"T{who}-{k}", at, channel, "visit", "crm", who, step])
    return folder


@pytest.fixture
def journey(store: GraphStore, tmp_path: Path) -> GraphStore:
    load_bundle(store, _bundle(tmp_path / "j"))
    return store


def test_multichannel(journey: GraphStore) -> None:
    report = multichannel(journey, "j")
    assert (report.customers, report.multichannel, report.share_multichannel) == (5, 3, 0.6)
    assert report.goal == ["c"]
    assert report.by_channels == [
        {"channels": 1, "customers": 2},
        {"channels": 2, "customers": 2},
        {"channels": 3, "customers": 1},
    ]
    got = {tuple(s["sequence"]): (s["customers"], s["converted"]) for s in report.sequences}
    assert got == {
        ("web",): (2, 0.5),
        ("email", "web"): (1, 1.0),
        ("app", "email"): (1, 0.0),
        ("email", "web", "app"): (1, 1.0),
    }
    assert report.sequences[0]["sequence"] == ["web"]
    assert (report.single_converted, report.single_customers) == (1, 2)
    assert (report.multi_converted, report.multi_customers) == (2, 3)
    assert report.difference == pytest.approx(2 / 3 - 1 / 2)
    assert report.test == "fisher exact"
    assert report.p_value == pytest.approx(stats.fisher_exact([[2, 1], [1, 1]]).pvalue)
    to_b = multichannel(journey, "j", goal="b")
    assert (to_b.multi_converted, to_b.single_converted) == (3, 0)
    assert to_b.statistic is None  # an empty cell: the odds ratio is infinite
    with pytest.raises(NotFoundError, match="no step 'z' in journey 'j'"):
        multichannel(journey, "j", goal="z")
    with pytest.raises(NotFoundError, match="no journey 'nope'"):
        multichannel(journey, "nope")
    with pytest.raises(InvalidRequestError):
        multichannel(journey, "j", top=0)


def test_channels_command(journey: GraphStore) -> None:
    location = journey.location
    journey.close()
    runner = CliRunner()
    done = runner.invoke(app, ["channels", "j", "--store", location, "--format", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["multichannel"] == 3
    table = runner.invoke(app, ["channels", "j", "--store", location], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "email > web > app" in table.output
    bad = runner.invoke(app, ["channels", "nope", "--store", location])
    assert bad.exit_code == 1 and "no journey 'nope'" in bad.output
