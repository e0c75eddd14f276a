"""A second fuzzer: what schemathesis does not send. No request gives a server error.

tests/test_api_fuzz.py sends generated documents as ``query`` alone. A security probe found the
rest by hand: an ``operationName`` naming nothing, documents with several operations, variables
of every shape (times past the year 9999 once offset, lone surrogates, huge strings and lists),
malformed bodies (100,000 nested brackets, not JSON, not an object), and GET requests. This one
sends those, generated, through the real ASGI app, and fails on any 5xx or masked error (an
unexpected failure). Bounded by wall time like the first.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator

import pytest
from api_support import Api, tiny_api
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from graph360.api.served_schema import MASKED
from graph360.ingest.identity import customer_id_for

BUDGET_SECONDS = float(os.environ.get("GRAPH360_FUZZ_SECONDS", "25"))
#: Requests sent whatever the budget: a loaded machine makes the run longer, not thinner.
AT_LEAST = 60
ADA = customer_id_for("crm:1")

#: Real documents whose variables reach every kind of argument the API parses.
DOCUMENTS = [
    "query Card($id: ID!, $since: DateOrTime, $until: DateOrTime, $after: String, $first: Int) "
    "{ customer(id: $id) { name touchpoints(first: $first, after: $after, since: $since, "
    "until: $until) { edges { cursor node { id text } } } } }",
    "query Find($ref: String!) { customer(ref: $ref) { id email } }",
    "query Search($search: String, $first: Int, $after: String) { customers(search: $search, "
    "first: $first, after: $after) { edges { cursor } } }",
    "query Funnel($journey: String!, $since: DateOrTime, $until: DateOrTime, $paths: Int) "
    "{ funnel(journey: $journey, since: $since, until: $until, paths: $paths) { customers } }",
    "query Overlap($windowHours: Float!, $since: DateOrTime) { collisions(windowHours: "
    "$windowHours, since: $since) { customers } }",
    "query Engagement($timezone: String, $top: Int) { engagement(timezone: $timezone, "
    "top: $top) { timezone } }",
    "mutation Act($c: ID!, $kind: String!, $reason: String!, $due: DateTime) { createAction("
    "customerId: $c, kind: $kind, reason: $reason, dueAt: $due) { id } }",
    "mutation Touch($t: TouchpointInput!) { recordTouchpoint(touchpoint: $t) { touchpointId } }",
    "query A { departments { id } } query B { departments { name } }",
]
NAMES = ["Card", "Find", "Search", "Funnel", "Overlap", "Engagement", "Act", "Touch", "A", "B"]

TIMES = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
    st.sampled_from(
        ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-02-30", "2026-01-31"]
    ),
)
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\ud800", "x" * 100_000, "", " ", "Europe/London", ADA, "crm:1", "a@b"]),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    TIMES,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
VARIABLES = st.dictionaries(
    st.sampled_from(
        [
            "id",
            "since",
            "until",
            "after",
            "first",
            "ref",
            "search",
            "journey",
            "paths",
            "windowHours",
            "timezone",
            "top",
            "c",
            "kind",
            "reason",
            "due",
            "t",
        ]
    ),
    VALUES,
    max_size=6,
)
OPERATION = st.one_of(st.none(), st.sampled_from(NAMES), st.text(max_size=12))


def _bodies() -> st.SearchStrategy[tuple[str, bytes]]:
    """(method, body): JSON requests of every shape, and bodies that are not requests at all."""
    request = st.builds(
        lambda q, v, o: json.dumps(
            {"query": q, "variables": v, "operationName": o}, ensure_ascii=True
        ).encode(),
        st.sampled_from(DOCUMENTS),
        st.one_of(VARIABLES, VALUES),
        OPERATION,
    )
    broken = st.sampled_from(
        [
            b"[" * 100_000 + b"]" * 100_000,
            b'{"query": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
            b"not json",
            b'"a string"',
            b'{"query": 5}',
            b'{"query": "{ departments { id } }", "variables": "x"}',
            b'{"query": "query($s: String) { customers(search: $s) { edges { cursor } } }", '
            b'"variables": {"s": "\\udfff"}}',
        ]
    )
    return st.tuples(st.sampled_from(["POST", "GET"]), request | broken)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from tiny_api(tmp_path_factory.mktemp("httpfuzz"), rate_per_key=1e6, rate_burst=10**6)


class OutOfTime(Exception):
    pass


def test_no_http_request_gives_a_server_error(api: Api) -> None:
    deadline = time.monotonic() + BUDGET_SECONDS
    failures: list[tuple[str, str]] = []
    sent = [0]
    auth = {"Authorization": f"Bearer {api.tokens['admin']}"}

    @settings(
        max_examples=100_000,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(_bodies())
    def fuzz(request: tuple[str, bytes]) -> None:
        if time.monotonic() > deadline and sent[0] >= AT_LEAST:
            raise OutOfTime
        method, body = request
        sent[0] += 1
        if method == "GET" and len(body) < 4000:  # longer: no server takes it as a URL
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                data = {"query": body[:2000].decode("utf-8", "replace")}
            if not isinstance(data, dict):
                data = {"query": str(data)}
            params = {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in data.items()
                if v is not None
            }
            try:
                response = api.client.get("/graphql", params=params, headers=auth)
            except UnicodeEncodeError:  # a lone surrogate cannot even be put in a URL
                return
        else:
            response = api.client.post(
                "/graphql", content=body, headers=auth | {"content-type": "application/json"}
            )
        try:
            messages = [e.get("message", "") for e in response.json().get("errors", [])]
        except (ValueError, AttributeError):
            messages = []
        if response.status_code >= 500 or MASKED in messages:
            failures.append((f"{method} {body[:300]!r}", response.text[:300]))

    with contextlib.suppress(OutOfTime):
        fuzz()
    assert sent[0] >= AT_LEAST
    assert failures == [], failures[:5]
