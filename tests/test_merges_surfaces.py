"""Merge, split and the merge log on the surfaces: the CLI and GraphQL (admins only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Api, tiny_api
from helpers import TINY
from typer.testing import CliRunner

from graph360.cli import app
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.store import open_store

ADA, GRACE, ALAN = customer_id_for("crm:1"), customer_id_for("crm:2"), customer_id_for("crm:3")
Z9 = customer_id_for("support:Z9")
MERGE = """mutation($keep: String!, $other: String!) {
  mergeCustomers(keep: $keep, other: $other) { kind who rule customerId otherId records evidence }
}"""
UNMERGE = """mutation($customer: String!, $records: [String!]!) {
  unmergeCustomer(customer: $customer, records: $records) { kind who customerId otherId records }
}"""
LOG = "query($c: String) { mergeLog(customer: $c) { kind who customerId otherId records } }"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from tiny_api(tmp_path)


def test_an_admin_merges_and_splits_and_reads_the_log(api: Api) -> None:
    merged = api.gql(MERGE, {"keep": "crm:2", "other": "crm:3"})["mergeCustomers"]
    assert merged == {
        "kind": "merge",
        "who": "test-admin",
        "rule": "manual",
        "customerId": GRACE,
        "otherId": ALAN,
        "records": ["crm:3"],
        "evidence": json.dumps({"record": "crm:3", "via": "crm:2"}, sort_keys=True),
    }
    card = api.gql("query($id: ID!) { customer(id: $id) { id } }", {"id": GRACE})
    assert card["customer"]["id"] == GRACE
    split = api.gql(UNMERGE, {"customer": GRACE, "records": ["crm:3"]})["unmergeCustomer"]
    assert split == [
        {
            "kind": "unmerge",
            "who": "test-admin",
            "customerId": GRACE,
            "otherId": ALAN,
            "records": ["crm:3"],
        }
    ]
    log = api.gql(LOG, {"c": "crm:3"})["mergeLog"]
    assert [e["kind"] for e in log] == ["unmerge", "merge"]


def test_others_may_not_and_bad_requests_get_a_reason(api: Api) -> None:
    for role in ("agent", "analyst"):
        (message,) = api.errors(MERGE, {"keep": "crm:2", "other": "crm:3"}, role=role)
        assert "identity:write" in message
        assert "identity:write" in api.errors(LOG, {}, role=role)[0]
    (message,) = api.errors(UNMERGE, {"customer": ADA, "records": ["crm:2"]})
    assert message == f"not records of {ADA}: crm:2"
    (message,) = api.errors(MERGE, {"keep": "crm:1", "other": "nobody@example.org"})
    assert "nobody@example.org" in message
    assert api.gql(LOG, {})["mergeLog"] == []


def test_the_cli_merges_splits_and_lists(tmp_path: Path) -> None:
    location = str(tmp_path / "g.lbug")
    graph = open_store(location)
    load_bundle(graph, TINY, rejects_path=tmp_path / "r.csv", max_shared=2)
    graph.close()
    runner = CliRunner()
    done = runner.invoke(app, ["merge", "crm:2", "crm:3", "--store", location, "-f", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)[0]["other_id"] == ALAN
    done = runner.invoke(
        app, ["unmerge", ADA, "--records", "support:Z9", "--store", location, "-f", "json"]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)[0]["other_id"] == Z9
    listed = runner.invoke(app, ["merges", "--store", location, "-f", "csv"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0] == "at,kind,customer,other,records,rule,who"
    assert [line.split(",")[1] for line in lines[1:]] == ["unmerge", "merge"]
    refused = runner.invoke(app, ["unmerge", ADA, "--records", "crm:9", "--store", location])
    assert refused.exit_code == 2
    assert "not records of" in refused.output
