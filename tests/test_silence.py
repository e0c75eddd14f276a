"""What customers are not saying (graph360.analytics.silence): exact answers on a small
bundle, the same rule on the card as in the list, the command and the GraphQL field."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from graph360.analytics.card import customer_card
from graph360.analytics.silence import silence, unanswered_mask
from graph360.cli import app
from graph360.ingest.load import load_bundle
from graph360.privacy import MASKED, OPERATOR
from graph360.store import GraphStore

AS_OF = dt.datetime(2026, 6, 1)
HEADER = ["touchpoint_id", "at", "channel", "kind", "customer_id", "department_id"]
HEADER += ["rating", "rating_scale", "text"]


def _bundle(folder: Path) -> Path:
    folder.mkdir()
    with (folder / "customers.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["source", "customer_id", "name"])
        for i in range(1, 6):
            w.writerow(["crm", str(i), f"Person {i}"])
    (folder / "departments.csv").write_text("department_id,name\ncare,Customer Care\n")
    rows = [
        # 1: a mention answered in 4 days; a review answered after 19 days (too late)
        ("M1", "2026-01-01T10:00:00Z", "social", "mention", "1", "", "", "", "love it"),
        ("T1", "2026-01-05T10:00:00Z", "support", "ticket", "1", "care", "", "", ""),
        ("V1", "2026-02-01T10:00:00Z", "web", "review", "1", "", "", "", "meh"),
        ("C1", "2026-02-20T10:00:00Z", "phone", "call", "1", "care", "", "", ""),
        # 2: a mention, then a ticket nobody handled: unanswered
        (
            "M2",
            "2026-03-01T10:00:00Z",
            "social",
            "mention",
            "2",
            "",
            "",
            "",
            "mail kim@example.org",
        ),
        ("T2", "2026-03-02T10:00:00Z", "support", "ticket", "2", "", "", "", ""),
    ]
    history = [dt.datetime(2025, 4, 1) + dt.timedelta(days=25 * k) for k in range(12)]
    for who in ("3", "4", "5"):
        for k, when in enumerate(history):
            rows.append(
                (
                    f"H{who}-{k}",
                    f"{when:%Y-%m-%dT10:00:00Z}",
                    "web",
                    "page_view",
                    who,
                    "",
                    "",
                    "",
                    "",
                )
            )
    rows.append(("S4", "2025-06-01T10:00:00Z", "survey", "csat", "4", "", "1", "5", ""))  # poor
    for k in range(3):  # 5 keeps up: 3 in the last 90 days against 3 usually
        rows.append(
            (f"R5-{k}", f"2026-04-0{k + 1}T10:00:00Z", "web", "page_view", "5", "", "", "", "")
        )
    with (folder / "touchpoints.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(HEADER)
        for tid, at, channel, kind, who, dept, rating, scale, text in rows:
            w.writerow([tid, at, channel, kind, who, dept, rating, scale, text])
    # every touchpoint names its customer by (source, customer_id)
    path = folder / "touchpoints.csv"
    lines = path.read_text().splitlines()
    lines[0] += ",source"
    path.write_text("\n".join([lines[0], *[line + ",crm" for line in lines[1:]]]) + "\n")
    return folder


@pytest.fixture
def quiet(store: GraphStore, tmp_path: Path) -> GraphStore:
    load_bundle(store, _bundle(tmp_path / "quiet"))
    return store


def _id(store: GraphStore, who: str) -> str:
    return customer_card(store, f"crm:{who}", audience=OPERATOR, now=AS_OF)["customer_id"]


def test_silence_over_the_graph(quiet: GraphStore) -> None:
    report = silence(quiet, as_of=AS_OF)
    assert (report.public_voices, report.unanswered, report.unanswered_customers) == (3, 2, 2)
    assert [v["touchpoint_id"] for v in report.voices] == ["M2", "V1"]  # latest first
    assert report.voices[0]["customer_id"] == _id(quiet, "2")
    assert report.voices[0]["text"] == "mail kim@example.org"
    assert "kim@example.org" not in report.for_audience(MASKED).voices[0]["text"]
    assert report.silent_churn == 1
    assert report.quiet == [{"customer_id": _id(quiet, "3"), "recent": 0, "baseline": 3.0}]
    assert report.rules["answer_days"] == 14 and report.graph_as_of is not None
    # a year later nobody has a history any more, and the voices are still unanswered
    later = silence(quiet, as_of=dt.datetime(2028, 1, 1))
    assert later.silent_churn == 0 and later.unanswered == 2


def test_customer_silence_on_the_card(quiet: GraphStore) -> None:
    two = customer_card(quiet, "crm:2", audience=MASKED, now=AS_OF)["silence"]
    assert two["unanswered_voices"] == 1 and not two["silent_churn_risk"]
    assert [v["touchpoint_id"] for v in two["latest_unanswered"]] == ["M2"]
    assert "kim@example.org" not in two["latest_unanswered"][0]["text"]
    one = customer_card(quiet, "crm:1", audience=OPERATOR, now=AS_OF)["silence"]
    assert one["unanswered_voices"] == 1  # V1
    three = customer_card(quiet, "crm:3", audience=OPERATOR, now=AS_OF)["silence"]
    assert three == {
        "unanswered_voices": 0,
        "latest_unanswered": [],
        "silent_churn_risk": True,
        "recent_touchpoints": 0,
        "usual_touchpoints": 3.0,
    }
    four = customer_card(quiet, "crm:4", audience=OPERATOR, now=AS_OF)["silence"]
    assert not four["silent_churn_risk"]  # the poor rating: they did complain
    five = customer_card(quiet, "crm:5", audience=OPERATOR, now=AS_OF)["silence"]
    assert not five["silent_churn_risk"] and five["recent_touchpoints"] == 3


def test_unanswered_mask_keeps_customers_apart() -> None:
    day = 86_400_000_000
    customer = np.array([0, 1, 1, 0])
    at = np.array([0, 0, 3 * day, 20 * day])
    voice = np.array([True, True, False, False])
    answer = np.array([False, False, True, True])
    # 0's answer is 20 days later (too late); 1's is 3 days later
    assert unanswered_mask(customer, at, voice, answer).tolist() == [True, False, False, False]
    assert unanswered_mask(customer, at, voice, np.zeros(4, bool)).tolist() == [
        True,
        True,
        False,
        False,
    ]


def test_silence_command(quiet: GraphStore) -> None:
    location = quiet.location
    quiet.close()
    runner = CliRunner()
    done = runner.invoke(
        app,
        ["silence", "--store", location, "--as-of", "2026-06-01", "--format", "json", "--masked"],
    )
    assert done.exit_code == 0, done.output
    answer = json.loads(done.output)
    assert answer["unanswered"] == 2 and answer["silent_churn"] == 1
    assert "kim@example.org" not in done.output
    bad = runner.invoke(app, ["silence", "--store", location, "--top", "-1"])
    assert bad.exit_code == 2 and "top must be between 0 and 1000" in bad.output
