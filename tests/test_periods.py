"""One period rule and one window check, and every surface asked the same question.

The rule (graph360.periods): a date ``until`` includes its whole day, a time is exact. Once,
``funnel --until 2026-01-31`` left out the 31st while ``view journey --until 2026-01-31``
included it; a negative window was a traceback in one place, a 500 in another and exit 2 in a
third. Here the CLI, GraphQL and the views answer the same period alike, and refuse a bad one
with the same one-line reason.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Api, tiny_api
from typer.testing import CliRunner

from graph360.cli import app as cli
from graph360.errors import InvalidRequestError
from graph360.periods import Period, parse_period, parse_window
from graph360.views import VIEWS


def test_a_date_until_includes_its_day_and_a_time_is_exact() -> None:
    january = parse_period("2026-01-01", "2026-01-31")
    assert january == Period(dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1))
    assert str(january) == "from 2026-01-01 to 2026-01-31 (inclusive)"
    moment = parse_period(None, "2026-01-31T12:00")
    assert moment == Period(None, dt.datetime(2026, 1, 31, 12))
    zoned = parse_period("2026-01-31T12:00+02:00", None)
    assert zoned.since == dt.datetime(2026, 1, 31, 10)
    assert parse_period(dt.date(2026, 1, 31), dt.date(2026, 1, 31)).until == dt.datetime(2026, 2, 1)
    assert parse_period() == Period() and str(Period()) == "everything"


@pytest.mark.parametrize(
    ("since", "until", "reason"),
    [
        (None, "2026-13-01", "'2026-13-01' is not a date (2026-01-31) or a time"),
        ("yesterday", None, "'yesterday' is not a date"),
        ("2026-02-01", "2026-01-31", "the period is empty"),
        (None, "9999-12-31", "until 9999-12-31 is out of range"),
    ],
)
def test_a_bad_period_is_one_line(since: str | None, until: str | None, reason: str) -> None:
    with pytest.raises(InvalidRequestError, match=re.escape(reason)):
        parse_period(since, until)


@pytest.mark.parametrize("hours", [0, -1, float("nan"), float("inf"), 24 * 367, "soon"])
def test_a_bad_window_is_refused(hours: object) -> None:
    with pytest.raises(InvalidRequestError, match="window must be"):
        parse_window(hours)  # type: ignore[arg-type]


# --- every surface ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from tiny_api(tmp_path_factory.mktemp("periods"))


FUNNEL = (
    'query($u: DateOrTime) { funnel(journey: "buy", until: $u) { steps { stepId customers } } }'
)


def _cli(api: Api, *args: str):
    return CliRunner().invoke(cli, [*args, "--store", api.location])


def test_every_surface_counts_the_last_day_of_a_date_period(api: Api) -> None:
    """Ada added to cart at 2024-03-03 12:00: ``until 2024-03-03`` includes her there."""
    done = _cli(api, "funnel", "buy", "--until", "2024-03-03", "--format", "json")
    assert done.exit_code == 0, done.output
    cli_steps = {s["step_id"]: s["customers"] for s in json.loads(done.stdout)["steps"]}
    data = api.gql(FUNNEL, {"u": "2024-03-03"})["funnel"]
    api_steps = {s["stepId"]: s["customers"] for s in data["steps"]}
    page = VIEWS["journey"].build(api.client.app.state.runner.store, "buy", until="2024-03-03")
    view_steps = {
        n["id"][2:]: int(re.search(r"Customers at the step in the period: (\d+)", n["title"])[1])
        for n in page.nodes
        if n["id"].startswith("s:")
    }
    assert cli_steps == api_steps == view_steps
    assert cli_steps["buy-2"] == 1  # the 3rd itself is in the period
    before_noon = api.gql(FUNNEL, {"u": "2024-03-03T12:00:00Z"})["funnel"]["steps"]
    assert {s["stepId"]: s["customers"] for s in before_noon}["buy-2"] == 0  # a time: exact


def test_a_bad_period_gets_the_same_reason_everywhere(api: Api) -> None:
    reason = "'2024-13-01' is not a date (2026-01-31) or a time (2026-01-31T10:00)"
    done = _cli(api, "funnel", "buy", "--until", "2024-13-01")
    assert done.exit_code == 2 and reason in done.output and "Traceback" not in done.output
    (message,) = api.errors(FUNNEL, {"u": "2024-13-01"})
    assert reason in message
    auth = {"Authorization": f"Bearer {api.tokens['admin']}"}
    page = api.client.get("/views/journey?journey=buy&until=2024-13-01", headers=auth)
    assert page.status_code == 400 and reason in page.json()["error"]


def test_a_bad_window_gets_the_same_reason_everywhere(api: Api, tmp_path: Path) -> None:
    reason = "the window must be above 0 and at most 8784 hours (a year), not -1"
    done = _cli(api, "overlap", "--window-hours", "-1")
    assert done.exit_code == 2 and reason in done.output, done.output
    view = _cli(api, "view", "overlap", "-o", str(tmp_path / "o.html"), "--window-hours", "-1")
    assert view.exit_code == 2 and reason in view.output, view.output
    (message,) = api.errors("{ collisions(windowHours: -1) { customers } }")
    assert reason in message
    auth = {"Authorization": f"Bearer {api.tokens['admin']}"}
    page = api.client.get("/views/overlap?windowHours=-1", headers=auth)
    assert page.status_code == 400 and reason in page.json()["error"]


COLLISIONS = """query($w: Float!, $s: DateOrTime, $u: DateOrTime) {
  collisions(windowHours: $w, since: $s, until: $u) {
    customers contacts pairs { unitA unitB customers }
  }
}"""


@pytest.mark.parametrize(("hours", "customers"), [(240, 1), (48, 0)])
def test_every_surface_counts_the_same_collisions_in_a_window(
    api: Api, hours: int, customers: int
) -> None:
    """Care and Lifecycle CRM reached one customer days apart: a collision within 240 h, not
    within 48; the CLI, GraphQL and the overlap view count it alike for the same period."""
    since, until = "2024-03-01", "2024-03-31"
    window = ["--window-hours", str(hours), "--since", since, "--until", until]
    done = _cli(api, "overlap", *window, "--format", "json")
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)["collisions"]
    pairs = {(p["unit_a"], p["unit_b"], p["customers"]) for p in found["pairs"]}
    cli = (found["customers"], found["contacts"], pairs)
    found = api.gql(COLLISIONS, {"w": hours, "s": since, "u": until})["collisions"]
    pairs = {(p["unitA"], p["unitB"], p["customers"]) for p in found["pairs"]}
    assert (found["customers"], found["contacts"], pairs) == cli
    store = api.client.app.state.runner.store
    facts = dict(VIEWS["overlap"].build(store, window_hours=hours, since=since, until=until).facts)
    assert int(facts[f"Customers in collisions ({hours} h)"]) == cli[0] == customers
    assert int(facts["Contacts"].replace(",", "")) == cli[1]
    auth = {"Authorization": f"Bearer {api.tokens['admin']}"}
    url = f"/views/overlap?windowHours={hours}&since={since}&until={until}"
    answer = api.client.get(url, headers=auth)
    assert answer.status_code == 200 and f"Customers in collisions ({hours} h)" in answer.text
