"""The analytics in the server (graph360.api.compute), through the real ASGI app: in a worker
process of lower priority, answers remembered per graph version and never older than the last
write, every answer saying which graph it reflects, and a request past its limit told to come
back (GraphQL ``COMPUTING``, HTTP 503 with ``Retry-After``) instead of hanging."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Api, load_demo, serve
from helpers import BACKENDS

from graph360 import facts
from graph360.api.compute import AnalyticsRunner, Computing

AS_OF = "asOf { graphVersion writtenAt projectedAt }"
ANSWERS = {
    "overlap": f"{{ overlap {{ by {AS_OF} }} }}",
    "collisions": f"{{ collisions {{ customers {AS_OF} }} }}",
    "ownershipAudit": "{ ownershipAudit { asOf graphAsOf { graphVersion writtenAt } } }",
    "funnel": f'{{ funnel(journey: "online_purchase") {{ customers {AS_OF} }} }}',
    "engagement": f"{{ engagement {{ timezone {AS_OF} }} }}",
    "influencers": f"{{ influencers(first: 3) {{ rank {AS_OF} }} }}",
}


def version(api: Api) -> int:
    return facts.graph_version(api.client.app.state.runner.store)[0]


@pytest.mark.parametrize("field", sorted(ANSWERS))
def test_every_analytic_answer_says_which_graph_it_reflects(api: Api, field: str) -> None:
    data = api.gql(ANSWERS[field])[field]
    answers = data if isinstance(data, list) else [data]
    assert answers
    for answer in answers:
        as_of = answer["graphAsOf" if field == "ownershipAudit" else "asOf"]
        assert as_of["graphVersion"] == version(api) > 0
        assert as_of["writtenAt"] is not None


def test_the_analytics_run_in_a_worker_process_of_lower_priority(api: Api) -> None:
    worker = api.client.app.state.runner.analytics.worker_pid()
    assert worker != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, worker) > os.getpriority(os.PRIO_PROCESS, 0)


def test_asking_again_is_answered_from_memory_per_parameters(api: Api) -> None:
    runner = api.client.app.state.runner.analytics
    query = "query($w: Float!) { overlap(windowHours: $w) { collisions { customers } } }"
    first = api.gql(query, {"w": 36.0})
    computed = runner.computed
    assert api.gql(query, {"w": 36.0}) == first  # the same question: from memory
    assert runner.computed == computed
    other = api.gql(query, {"w": 1.0})  # another window: computed, on the loaded projection
    assert runner.computed == computed + 1
    assert (
        other["overlap"]["collisions"]["customers"] <= first["overlap"]["collisions"]["customers"]
    )
    assert api.gql(query, {"w": 36.0}) == first
    assert runner.computed == computed + 1


def test_after_a_write_the_answer_reflects_it(api: Api) -> None:
    query = '{ ownershipAudit(journey: "online_purchase") { graphAsOf { graphVersion } '
    query += "steps { stepId owners } } }"

    def delivery(data: dict) -> list[str]:
        steps = data["ownershipAudit"]["steps"]
        return next(s["owners"] for s in steps if s["stepId"] == "delivery")

    before = api.gql(query)
    assert "brand" not in delivery(before)
    api.gql('mutation { assignStepOwner(stepId: "delivery", departmentId: "brand") { id } }')
    try:
        after = api.gql(query)
        assert "brand" in delivery(after)
        seen = after["ownershipAudit"]["graphAsOf"]["graphVersion"]
        assert seen == version(api) > before["ownershipAudit"]["graphAsOf"]["graphVersion"]
    finally:
        api.gql('mutation { removeStepOwner(stepId: "delivery", departmentId: "brand") { id } }')


# --- past the limit ------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS, scope="module")
def impatient(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The demo behind an app whose requests never wait for an analytic."""
    folder = tmp_path_factory.mktemp("impatient")
    location, cards = load_demo(request.param, folder)
    yield from serve(location, folder, cards, analytics_wait=0.0)


def until_answered(ask, attempts: int = 600):
    """Ask until the answer is in (each attempt must be a COMPUTING refusal or the answer)."""
    for _ in range(attempts):
        answer = ask()
        if answer is not None:
            return answer
        time.sleep(0.1)
    raise AssertionError("never answered")


def test_a_graphql_request_past_its_limit_is_told_to_come_back(impatient: Api) -> None:
    query = '{ funnel(journey: "online_purchase", paths: 3) { customers } }'
    body = impatient.post(query).json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "COMPUTING"
    assert isinstance(error["extensions"]["retryAfter"], int)
    assert error["extensions"]["retryAfter"] >= 1
    assert "ask again" in error["message"] and body["data"] is None

    def ask():
        body = impatient.post(query).json()
        if "errors" in body:
            assert body["errors"][0]["extensions"]["code"] == "COMPUTING", body
            return None
        return body["data"]

    assert until_answered(ask)["funnel"]["customers"] > 0


def test_a_view_past_its_limit_is_a_503_with_retry_after(impatient: Api) -> None:
    headers = {"Authorization": f"Bearer {impatient.tokens['admin']}"}
    first = impatient.client.get("/views/overlap?windowHours=12", headers=headers)
    assert first.status_code == 503
    assert int(first.headers["Retry-After"]) >= 1
    assert "ask again" in first.json()["error"]

    def ask():
        page = impatient.client.get("/views/overlap?windowHours=12", headers=headers)
        if page.status_code == 503:
            return None
        assert page.status_code == 200, page.text
        return page.text

    assert "<html" in until_answered(ask).lower()


def test_an_error_in_the_worker_reaches_the_caller_as_it_is(impatient: Api) -> None:
    def ask():
        body = impatient.post('{ funnel(journey: "no-such-journey") { customers } }').json()
        if body["errors"][0].get("extensions", {}).get("code") == "COMPUTING":
            return None
        return body["errors"][0]["message"]

    assert "no-such-journey" in until_answered(ask)


# --- the runner itself ---------------------------------------------------------------------------


def slow_answer(store, seconds: float, value: int) -> int:
    """An analytic that takes ``seconds`` (run in the worker: this module is importable there)."""
    time.sleep(seconds)
    return value


def test_a_question_being_computed_is_joined_and_busy_workers_refuse_more(
    tmp_path: Path,
) -> None:
    location, _ = load_demo("ladybug", tmp_path)
    runner = AnalyticsRunner(location, wait_seconds=0.0, max_pending=2)
    slow = "test_api_analytics:slow_answer"

    async def scenario() -> None:
        with pytest.raises(Computing) as first:
            await runner.run(slow, 1, seconds=3.0, value=1)
        assert first.value.extensions["code"] == "COMPUTING"
        with pytest.raises(Computing):  # the same question: joined, not queued again
            await runner.run(slow, 1, seconds=3.0, value=1)
        with pytest.raises(Computing):
            await runner.run(slow, 1, seconds=0.0, value=2)
        with pytest.raises(Computing, match="busy"):  # a third question: refused at once
            await runner.run(slow, 1, seconds=0.0, value=3)
        answer = await runner.run(slow, 1, wait=60, seconds=3.0, value=1)
        assert answer.value == 1 and answer.as_of["graph_version"] >= 1
        assert (await runner.run(slow, 1, wait=60, seconds=0.0, value=2)).value == 2
        assert runner.computed == 2

    try:
        asyncio.run(scenario())
        worker = runner.worker_pid()
    finally:
        runner.close()
    with pytest.raises(ProcessLookupError):  # closing leaves no worker behind
        os.kill(worker, 0)
