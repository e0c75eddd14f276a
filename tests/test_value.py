"""Customer value: RFM scores, the projection's worked example, at-risk, storage, the CLI.

The graph (``valued``) is the worked example of graph360/analytics/value.py's docstring, plus
the cases each rule must leave out. Every expected number below is computed by hand in the
comments from the definitions, not by the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from helpers import BACKENDS, empty_store
from typer.testing import CliRunner

from graph360 import facts
from graph360.analytics.value import (
    compute_values,
    quintile_scores,
    store_values,
    update_values,
)
from graph360.cli import app
from graph360.store import GraphStore, open_store

AS_OF = dt.datetime(2026, 1, 1)


def ago(days: float) -> dt.datetime:
    return AS_OF - dt.timedelta(days=days)


def table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as an Arrow table with every key any row has (absent values null)."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist([{k: row.get(k) for k in keys} for row in rows])


def put(store: GraphStore, label: str, rows: list[dict[str, Any]]) -> None:
    """Write nodes as a load would: with the graph's version bumped (the facts follow it)."""
    with store.atomic():
        store.upsert_nodes(label, table(rows))
        facts.bump_version(store)


def link(store: GraphStore, rel_type: str, rows: list[tuple]) -> None:
    """Relationships from (from, to) or (from, to, {props}) tuples."""
    with store.atomic():
        store.upsert_relationships(
            rel_type,
            table([{"from": r[0], "to": r[1], **(r[2] if len(r) > 2 else {})} for r in rows]),
        )
        facts.bump_version(store)


def purchase(tid: str, days: float, value: float, kind: str = "purchase", outcome=None) -> dict:
    return {
        "touchpoint_id": tid,
        "at": ago(days),
        "kind": kind,
        "value": value,
        "outcome": outcome,
        "channel": "web",
    }


# customer -> touchpoints; A..E buy, F, G, H only hold accounts, Z has nothing at all
TOUCHPOINTS = {
    "A": [
        purchase("a1", 10, 30.0),
        {
            "touchpoint_id": "a-poor-old",
            "at": ago(100),
            "kind": "survey",
            "rating": 1.0,
            "rating_scale": 5,
        },  # poor, but 100 days ago: outside the 90-day window
        {"touchpoint_id": "a-ticket", "at": ago(50), "kind": "ticket", "outcome": "resolved"},
    ],
    "B": [
        purchase("b1", 730, 70.0),
        purchase("b2", 400, 70.0),
        purchase("b3a", 200, 10.0),  # two line items of one order: one occasion
        purchase("b3b", 200, 20.0),
        purchase("b4", 40, 30.0),
        purchase("b-refund", 20, 999.0, outcome="Refunded"),  # voided: not a purchase
        purchase("b-quote", 20, 500.0, kind="quote"),  # not a purchase kind
        purchase("b-future", -5, 100.0),  # after as_of
    ],
    "C": [
        purchase("c1", 100, 20.0),
        {
            "touchpoint_id": "c-poor",
            "at": ago(30),
            "kind": "survey",
            "rating": 2.0,
            "rating_scale": 5,
        },
    ],
    "D": [
        purchase("d1", 300, 40.0),
        purchase("d2", 200, 40.0, outcome="pending"),  # pending still counts
        {"touchpoint_id": "d-ticket", "at": ago(10), "kind": "ticket", "outcome": "waiting"},
        {
            "touchpoint_id": "d-nps",
            "at": ago(5),
            "kind": "survey",
            "rating": 7.0,
            "rating_scale": 10,
        },  # passive, not poor
    ],
    "E": [purchase("e1", 460, 60.0), purchase("e2", 400, 60.0)],
}
ACCOUNTS = [
    {"account_id": "ACC-B", "status": "active", "value": 119.88, "opened_at": ago(900)},
    {"account_id": "ACC-A", "status": "lapsed", "value": 500.0, "opened_at": ago(900)},
    {"account_id": "ACC-C", "status": "active", "value": 50.0, "opened_at": ago(-10)},  # later
    {"account_id": "ACC-T", "status": "Active", "value": 1000.0, "opened_at": ago(900)},
    {"account_id": "ACC-F", "status": "active", "value": 200.0, "opened_at": None},
]
HOLDINGS = [
    ("B", "ACC-B", {"role": "owner"}),
    ("A", "ACC-A", {"role": "owner"}),
    ("C", "ACC-C", {"role": "owner"}),
    ("G", "ACC-T", {"role": "admin"}),  # the team licence: its admin pays
    ("F", "ACC-T", {"role": "member"}),
    ("F", "ACC-F", {"role": "member"}),  # nobody pays: split among the holders
    ("H", "ACC-F", {"role": "member"}),
]


def build(store: GraphStore) -> None:
    put(store, "Customer", [{"customer_id": c, "name": f"Customer {c}"} for c in "ABCDEFGHZ"])
    put(store, "Touchpoint", [t for ts in TOUCHPOINTS.values() for t in ts])
    link(store, "HAD", [(c, t["touchpoint_id"]) for c, ts in TOUCHPOINTS.items() for t in ts])
    put(store, "Account", ACCOUNTS)
    link(store, "HOLDS", HOLDINGS)


@pytest.fixture(params=BACKENDS, scope="module")
def valued(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    """The worked-example graph, built once per module and backend (tests only read it)."""
    graph = empty_store(request.param, tmp_path_factory.mktemp("valued"))
    build(graph)
    yield graph
    graph.close()


def test_quintile_scores() -> None:
    assert quintile_scores(pd.Series([5, 1, 4, 2, 3])).tolist() == [5, 1, 4, 2, 3]
    # ten distinct values: two per quintile
    assert quintile_scores(pd.Series(range(10))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # ties share their average rank: 1.5, 1.5, 3, 4, 5 of five -> ceil(1, 1, 2.5, 3.5, 4.5)
    assert quintile_scores(pd.Series([1, 1, 2, 3, 4])).tolist() == [1, 1, 3, 4, 5]
    assert quintile_scores(pd.Series([7, 7, 7, 7])).tolist() == [3, 3, 3, 3]  # all tied: middle
    assert quintile_scores(pd.Series([], dtype=float)).tolist() == []


def test_the_docstrings_worked_example(valued: GraphStore) -> None:
    scores = compute_values(valued, AS_OF).set_index("customer_id")
    assert sorted(scores.index) == list("ABCDEFGHZ")
    b = scores.loc["B"]
    # occasions 730, 400, 200 (two lines), 40 days ago; refund, quote and future left out
    assert (b["recency_days"], b["frequency"], b["monetary"]) == (40, 4, 50.0)
    assert b["per_year"] == pytest.approx(2.0)  # 4 x 365 / 730
    assert b["retention"] == 0.7  # R score 4
    assert b["potential_value"] == pytest.approx(0.7 * 2 * 50.0 + 119.88)  # 189.88
    assert b["purchases_12m"] == pytest.approx(60.0)  # 10 + 20 + 30
    assert b["current_value"] == pytest.approx(179.88)
    assert b["gap_days"] == pytest.approx(230.0)  # (730 - 40) / 3
    assert b["at_risk"] == 0.0
    e = scores.loc["E"]
    assert e["gap_days"] == pytest.approx(60.0)
    assert e["overdue"] == 1.0 and e["at_risk"] == 1.0


def test_rfm_scores_and_potential_of_every_buyer(valued: GraphStore) -> None:
    s = compute_values(valued, AS_OF).set_index("customer_id")
    buyers = list("ABCDE")
    # recency 10, 40, 100, 200, 400 days
    assert s.loc[buyers, "recency_days"].tolist() == [10, 40, 100, 200, 400]
    assert s.loc[buyers, "r"].tolist() == [5, 4, 3, 2, 1]
    # frequency 1, 4, 1, 2, 2: ranks 1.5, 5, 1.5, 3.5, 3.5 of 5 -> ceil(1, 4.5, 1, 3, 3)
    assert s.loc[buyers, "frequency"].tolist() == [1, 4, 1, 2, 2]
    assert s.loc[buyers, "f"].tolist() == [1, 5, 1, 3, 3]
    # monetary 30, 50, 20, 40, 60 -> 2, 4, 1, 3, 5
    assert s.loc[buyers, "monetary"].tolist() == [30.0, 50.0, 20.0, 40.0, 60.0]
    assert s.loc[buyers, "m"].tolist() == [2, 4, 1, 3, 5]
    expected = {
        "A": 0.9 * 1 * 30,  # one occasion 10 days ago: span floored at 365 -> 1 a year
        "C": 0.5 * 1 * 20,  # the account opened after as_of does not count
        "D": 0.3 * 2 * 40,  # first occasion 300 days ago -> span 365 -> 2 a year
        "E": 0.1 * (2 * 365 / 460) * 60,
        "F": 100.0,  # member of ACC-T (its admin pays) and half of ACC-F
        "G": 1000.0,
        "H": 100.0,
        "Z": 0.0,
    }
    for customer, value in expected.items():
        assert s.loc[customer, "potential_value"] == pytest.approx(value), customer
    assert s.loc["A", "current_value"] == 30.0  # the lapsed account does not count
    assert s.loc["F", "current_value"] == 100.0
    for customer in "FGHZ":
        assert s.loc[customer, "frequency"] == 0
        assert pd.isna(s.loc[customer, "r"]) and pd.isna(s.loc[customer, "recency_days"])


def test_at_risk_parts(valued: GraphStore) -> None:
    s = compute_values(valued, AS_OF).set_index("customer_id")
    # repeat buyers' gaps: B 230, D 100, E 60 -> one-occasion buyers expect the median, 100
    assert s.loc["A", "gap_days"] == s.loc["C", "gap_days"] == pytest.approx(100.0)
    assert s.loc["A", "at_risk"] == 0.0  # 10 of 100 days; its poor rating is too old
    assert not s.loc["A", "poor_rating"] and not s.loc["A", "open_complaint"]
    # C: exactly one gap since the last occasion (not overdue) and a poor rating 30 days ago
    assert s.loc["C", "overdue"] == 0.0 and s.loc["C", "at_risk"] == 0.5
    # D: 200 days since, a gap of 100 -> overdue (2 - 1) / 2 = 0.5; an unresolved ticket
    assert s.loc["D", "overdue"] == 0.5
    assert s.loc["D", "at_risk"] == pytest.approx(1 - 0.5 * 0.5)
    assert s.loc["Z", "at_risk"] == 0.0


def test_update_values_stores_every_customer_once(store: GraphStore) -> None:
    valued = store
    build(valued)
    before = valued.counts()
    report = update_values(valued, as_of=AS_OF, top=3)
    assert (report.customers, report.buyers, report.at_risk_customers) == (9, 5, 2)  # D, E
    assert [row["customer_id"] for row in report.top] == ["G", "B", "F"]  # 1000, 189.88, 100
    assert report.top[1]["name"] == "Customer B"
    assert (report.top[1]["r"], report.top[1]["f"], report.top[1]["m"]) == (4, 5, 4)
    stored = valued.all_nodes("Customer").set_index("customer_id")
    assert stored.loc["B", "potential_value"] == pytest.approx(189.88)
    assert stored.loc["B", "current_value"] == pytest.approx(179.88)
    assert stored.loc["E", "at_risk"] == 1.0
    assert stored.loc["Z", "current_value"] == 0.0
    assert (stored["value_at"] == AS_OF).all()
    assert stored.loc["B", "name"] == "Customer B"  # other properties untouched
    update_values(valued, as_of=AS_OF)
    assert valued.counts() == before


def test_value_store(store: GraphStore) -> None:
    """value_store sets the four scores on the customers it names, and nothing else."""
    put(store, "Customer", [{"customer_id": c, "name": f"N{c}"} for c in ("A", "B", "C")])
    store_values(
        store,
        pd.DataFrame(
            {
                "customer_id": ["A", "B"],
                "current_value": [1.5, 0.0],
                "potential_value": [2.5, 3.0],
                "at_risk": [0.25, 1.0],
            }
        ),
        AS_OF,
    )
    stored = store.all_nodes("Customer").set_index("customer_id").sort_index()
    columns = ["name", "current_value", "potential_value", "at_risk", "value_at"]
    got = stored[columns].astype(object).where(stored[columns].notna(), None)
    assert got.to_dict("index") == {
        "A": dict(zip(columns, ["NA", 1.5, 2.5, 0.25, AS_OF], strict=True)),
        "B": dict(zip(columns, ["NB", 0.0, 3.0, 1.0, AS_OF], strict=True)),
        "C": dict(zip(columns, ["NC", None, None, None, None], strict=True)),
    }


def test_value_purchases(valued: GraphStore) -> None:
    rows = valued.query(
        "value_purchases",
        kinds=["purchase"],
        void_outcomes=["refunded", "cancelled"],
        until=AS_OF,
    )
    got = sorted((r["customer_id"], r["at"], r["value"]) for r in rows)
    assert got == sorted(
        (c, t["at"], t["value"])
        for c, ts in TOUCHPOINTS.items()
        for t in ts
        if t["kind"] == "purchase" and t["touchpoint_id"] not in ("b-refund", "b-future")
    )


def test_value_holdings(valued: GraphStore) -> None:
    rows = valued.query("value_holdings")
    assert sorted((r["customer_id"], r["account_id"], r["role"]) for r in rows) == sorted(
        (c, a, p["role"]) for c, a, p in HOLDINGS
    )
    acc_b = next(r for r in rows if r["account_id"] == "ACC-B")
    assert (acc_b["status"], acc_b["value"], acc_b["opened_at"]) == ("active", 119.88, ago(900))


def test_value_customers(valued: GraphStore) -> None:
    assert sorted(r["customer_id"] for r in valued.query("value_customers")) == list("ABCDEFGHZ")


def test_value_command(tmp_path: Path) -> None:
    db = str(tmp_path / "g.lbug")
    with open_store(db) as graph:
        build(graph)
    runner = CliRunner()
    result = runner.invoke(
        app, ["value", "--store", db, "--as-of", "2026-01-01", "--top", "2", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [r["customer_id"] for r in report["top"]] == ["G", "B"]
    assert report["as_of"] == "2026-01-01T00:00:00"
    shown = runner.invoke(app, ["value", "--store", db, "--as-of", "2026-01-01"]).stdout
    assert "454" in shown  # B's R, F and M scores
    assert "9 customers (5 with purchases)" in " ".join(shown.split())
    csv_out = runner.invoke(app, ["value", "--store", db, "--top", "1", "-f", "csv"]).stdout
    assert csv_out.splitlines()[0].startswith("customer_id,name,segment,current_value")
