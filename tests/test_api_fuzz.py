"""Property-based fuzzing of the whole GraphQL schema: no input gives a server error.

schemathesis generates documents from the schema's SDL (every query and mutation, arguments of
every type, nested selections); each one goes through the real ASGI app with an admin key (the
role that reaches everything) and an analyst key. A server error is a 5xx, or an error the API
masked (an unexpected failure: anything the resolvers did not mean to say). The run is bounded
by wall time, so the suite stays fast whatever the examples cost, once it has sent at least
``AT_LEAST`` requests (a loaded machine makes it longer instead of thinner).
"""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from api_support import Api
from hypothesis import HealthCheck, Phase, given, settings

from graph360.api.served_schema import MASKED, build_schema

# A longer exploratory run: GRAPH360_FUZZ_SECONDS=600 python -m pytest tests/test_api_fuzz.py
BUDGET_SECONDS = float(os.environ.get("GRAPH360_FUZZ_SECONDS", "50"))
#: Requests sent whatever the budget: a loaded machine makes the run longer, not thinner.
AT_LEAST = 60


class OutOfTime(Exception):
    """Ends the generation when the budget is spent (hypothesis has no time limit of its own)."""


SCHEMA = schemathesis.graphql.from_file(build_schema().as_str())


def test_no_generated_request_gives_a_server_error(api: Api) -> None:
    deadline = time.monotonic() + BUDGET_SECONDS
    sent: list[str] = []
    failures: list[tuple[str, str, str]] = []

    @settings(
        max_examples=100_000,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],  # no shrinking: OutOfTime ends the run at once
        suppress_health_check=list(HealthCheck),
    )
    @given(SCHEMA.as_strategy())
    def fuzz(case) -> None:
        if time.monotonic() > deadline and len(sent) >= AT_LEAST:
            raise OutOfTime
        query = case.body if isinstance(case.body, str) else case.body["query"]
        role = "analyst" if len(sent) % 3 == 2 else "admin"
        sent.append(query)
        response = api.client.post(
            "/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {api.tokens[role]}"},
        )
        messages = [e.get("message", "") for e in response.json().get("errors", [])]
        if response.status_code >= 500 or MASKED in messages:
            failures.append((role, query, response.text[:300]))

    with pytest.raises(OutOfTime):
        fuzz()
    assert len(sent) >= AT_LEAST
    assert not failures, failures[:5]


@pytest.fixture(scope="module")
def operations() -> set[str]:
    return {op.ok().label for op in SCHEMA.get_all_operations()}


def test_the_fuzzer_sees_every_root_field(operations: set[str]) -> None:
    """The SDL given to schemathesis is the served schema: every query and mutation is in it."""
    schema = build_schema()._schema
    roots = {f"Query.{n}" for n in schema.query_type.fields} | {
        f"Mutation.{n}" for n in schema.mutation_type.fields
    }
    assert roots == operations
