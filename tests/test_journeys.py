"""Journeys: the funnel and the actual paths, on a hand-made journey bundle whose answers are
worked out by hand below; the named queries behind them; the ``funnel`` command.

The bundle (written by :func:`write_journey_bundle`, shared with tests/test_ownership.py):

    journey shop: s1 Browse (mkt) > s2 Cart (sales) > s3 Checkout (nobody) > s4 Pay (sales)
                  > s5 Review (mkt and care) > s6 Win-back (nobody)
    journey help: h1 Contact (care) > h2 Follow-up (nobody) > h3 Escalation (nobody)
    journey news: n1 Read (mkt);  journey empty: no steps

    A: s1 01-01 10:00, s2 10:10, s3 10:20 (value 50); a purchase 02-01 (30, no step)
    B: s1 01-02 09:00, s2 09:30, s3 10:00, s4 10:30 (80, sales), s5 01-10 12:00 (care)
    C: s2 01-03 08:00, then s1 08:30                       (cart before browse: out of order)
    D: s1 01-04 09:00 and 01-05 09:00, s2 01-05 09:05, s4 09:20 (20, sales; no checkout),
       s5 01-20 and 01-21 (handled by ops)
    E: s1 01-06 12:00, s6 01-07 09:00 and 10:00 (reminder e-mails of a mkt campaign)
    F: help h1 02-01 (care), h2 02-02 (call, care); purchases 2025-03-01 (100), 03-01 (10)
    G: s1 01-07 09:00, s2 and s3 both 01-07 10:00 (40); help h1 02-10
    H: no touchpoints
    (all 2026 unless said; two touchpoints at s3 belong to nobody: 2026-01-08 25 and
    2025-05-01 1000, written straight into the store)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import BACKENDS, empty_store
from typer.testing import CliRunner

from graph360.analytics.card import current_journey_steps
from graph360.analytics.journeys import (
    EARLIEST,
    LATEST,
    current_steps,
    customer_steps,
    journey_funnel,
    journey_steps,
)
from graph360.cli import EXIT_REFUSED, app
from graph360.errors import NotFoundError
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore, open_store

A, B, C, D, E, F, G, H = (customer_id_for(f"crm:{i}") for i in range(1, 9))

BUNDLE = {
    "customers.csv": """source,customer_id,name,email
crm,1,Ann,ann@example.org
crm,2,Bob,bob@example.org
crm,3,Cat,cat@example.org
crm,4,Dan,dan@example.org
crm,5,Eve,eve@example.org
crm,6,Fay,fay@example.org
crm,7,Gus,gus@example.org
crm,8,Hal,hal@example.org
""",
    "departments.csv": """department_id,name,division
sales,Sales,Commercial
care,Care,Service
mkt,Marketing,Commercial
ops,Operations,Service
""",
    "campaigns.csv": """campaign_id,name,channel,department_id,objective,started_at,ended_at
k_remind,Basket reminder,email,mkt,conversion,2025-01-01,
""",
    "journeys.csv": """journey_id,name,persona
shop,Shop,buyer
help,Help,
news,News,
empty,Empty,
""",
    "journey_steps.csv": """step_id,journey_id,name,position,stage,owner_department_ids
s1,shop,Browse,1,awareness,mkt
s2,shop,Cart,2,consideration,sales
s3,shop,Checkout,3,purchase,
s4,shop,Pay,4,purchase,sales
s5,shop,Review,5,advocacy,mkt;care
s6,shop,Win-back,6,recovery,
h1,help,Contact,1,contact,care
h2,help,Follow-up,2,recovery,
h3,help,Escalation,3,recovery,
n1,news,Read,1,reading,mkt
""",
    "touchpoints.csv": "touchpoint_id,at,channel,kind,source,customer_id,campaign_id,step_id,"
    """department_id,value
a1,2026-01-01 10:00:00,web,page_view,crm,1,,s1,,
a2,2026-01-01 10:10:00,web,add_to_cart,crm,1,,s2,,
a3,2026-01-01 10:20:00,web,checkout,crm,1,,s3,,50
a4,2026-02-01 12:00:00,web,purchase,crm,1,,,,30
a5,2026-03-01 08:00:00,email,email_open,crm,1,,,,
b1,2026-01-02 09:00:00,web,page_view,crm,2,,s1,,
b2,2026-01-02 09:30:00,web,add_to_cart,crm,2,,s2,,
b3,2026-01-02 10:00:00,web,checkout,crm,2,,s3,,
b4,2026-01-02 10:30:00,web,purchase,crm,2,,s4,sales,80
b5,2026-01-10 12:00:00,email,survey,crm,2,,s5,care,
c1,2026-01-03 08:00:00,web,add_to_cart,crm,3,,s2,,
c2,2026-01-03 08:30:00,web,page_view,crm,3,,s1,,
d1,2026-01-04 09:00:00,web,page_view,crm,4,,s1,,
d2,2026-01-05 09:00:00,web,page_view,crm,4,,s1,,
d3,2026-01-05 09:05:00,web,add_to_cart,crm,4,,s2,,
d4,2026-01-05 09:20:00,store,purchase,crm,4,,s4,sales,20
d5,2026-01-20 10:00:00,app,survey,crm,4,,s5,ops,
d6,2026-01-21 10:00:00,app,survey,crm,4,,s5,ops,
e1,2026-01-06 12:00:00,web,page_view,crm,5,,s1,,
e2,2026-01-07 09:00:00,email,email_sent,crm,5,k_remind,s6,,
e3,2026-01-07 10:00:00,email,email_open,crm,5,k_remind,s6,,
f0,2025-03-01 12:00:00,web,purchase,crm,6,,,,100
f1,2026-03-01 12:00:00,web,purchase,crm,6,,,,10
f2,2026-02-01 09:00:00,phone,ticket,crm,6,,h1,care,
f3,2026-02-02 09:00:00,phone,call,crm,6,,h2,care,
g1,2026-01-07 09:00:00,web,page_view,crm,7,,s1,,
g2,2026-01-07 10:00:00,web,add_to_cart,crm,7,,s2,,
g3,2026-01-07 10:00:00,web,checkout,crm,7,,s3,,40
g4,2026-02-10 15:00:00,chat,ticket,crm,7,,h1,care,
""",
}

#: The touchpoints at s3 that belong to no customer (a recording API could write these).
ANONYMOUS = [("x1", dt.datetime(2026, 1, 8, 11), 25.0), ("x2", dt.datetime(2025, 5, 1, 12), 1000.0)]


def write_journey_bundle(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in BUNDLE.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def load_journey_graph(graph: GraphStore, folder: Path) -> GraphStore:
    report = load_bundle(
        graph, write_journey_bundle(folder / "bundle"), rejects_path=folder / "rejects.csv"
    )
    assert report.rejected == 0, (folder / "rejects.csv").read_text()
    ids = [x[0] for x in ANONYMOUS]
    graph.upsert_nodes(
        "Touchpoint",
        pa.table(
            {
                "touchpoint_id": ids,
                "at": pa.array([x[1] for x in ANONYMOUS], pa.timestamp("us")),
                "channel": ["web"] * len(ids),
                "kind": ["checkout"] * len(ids),
                "value": [x[2] for x in ANONYMOUS],
            }
        ),
    )
    graph.upsert_relationships("AT_STEP", pa.table({"from": ids, "to": ["s3"] * len(ids)}))
    return graph


@pytest.fixture(params=BACKENDS, scope="session")
def journeys(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    """The hand-made journey bundle, loaded once per backend (tests/test_ownership.py too)."""
    folder = tmp_path_factory.mktemp("journeys")
    graph = empty_store(request.param, folder)
    yield load_journey_graph(graph, folder)
    graph.close()


@pytest.fixture(scope="session")
def journey_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An embedded database file holding the bundle, closed, for the commands to open."""
    folder = tmp_path_factory.mktemp("journey_db")
    db = str(folder / "g.lbug")
    with open_store(db) as graph:
        load_journey_graph(graph, folder)
    return db


def T(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day)


# --- the named queries ---------------------------------------------------------------------


def test_journey_steps(journeys: GraphStore) -> None:
    rows = journeys.query("journey_steps")
    as_tuples = [(r["journey_id"], r["step_id"], r["position"], r["department_id"]) for r in rows]
    assert as_tuples == [
        ("empty", None, None, None),
        ("help", "h1", 1, "care"),
        ("help", "h2", 2, None),
        ("help", "h3", 3, None),
        ("news", "n1", 1, "mkt"),
        ("shop", "s1", 1, "mkt"),
        ("shop", "s2", 2, "sales"),
        ("shop", "s3", 3, None),
        ("shop", "s4", 4, "sales"),
        ("shop", "s5", 5, "care"),
        ("shop", "s5", 5, "mkt"),
        ("shop", "s6", 6, None),
    ]
    s5 = [r for r in rows if r["step_id"] == "s5"]
    assert {(r["journey"], r["step"], r["stage"], r["department"]) for r in s5} == {
        ("Shop", "Review", "advocacy", "Care"),
        ("Shop", "Review", "advocacy", "Marketing"),
    }


def test_journey_touchpoints(journeys: GraphStore) -> None:
    shop = ["s1", "s2", "s3", "s4", "s5", "s6"]
    rows = journeys.query("journey_touchpoints", step_ids=shop, since=EARLIEST, until=LATEST)
    got = sorted((r["customer_id"], r["step_id"], r["at"]) for r in rows)
    by_hand = [
        (A, "s1", "2026-01-01 10:00"), (A, "s2", "2026-01-01 10:10"),
        (A, "s3", "2026-01-01 10:20"),
        (B, "s1", "2026-01-02 09:00"), (B, "s2", "2026-01-02 09:30"),
        (B, "s3", "2026-01-02 10:00"), (B, "s4", "2026-01-02 10:30"),
        (B, "s5", "2026-01-10 12:00"),
        (C, "s1", "2026-01-03 08:30"), (C, "s2", "2026-01-03 08:00"),
        (D, "s1", "2026-01-04 09:00"), (D, "s1", "2026-01-05 09:00"),
        (D, "s2", "2026-01-05 09:05"), (D, "s4", "2026-01-05 09:20"),
        (D, "s5", "2026-01-20 10:00"), (D, "s5", "2026-01-21 10:00"),
        (E, "s1", "2026-01-06 12:00"), (E, "s6", "2026-01-07 09:00"),
        (E, "s6", "2026-01-07 10:00"),
        (G, "s1", "2026-01-07 09:00"), (G, "s2", "2026-01-07 10:00"),
        (G, "s3", "2026-01-07 10:00"),
    ]  # fmt: skip
    assert got == sorted((c, s, T(at)) for c, s, at in by_hand)  # x1, x2 have no customer
    # the window is [since, until) and the step list filters
    rows = journeys.query(
        "journey_touchpoints",
        step_ids=["s1", "s6", "h1"],
        since=T("2026-01-06 12:00"),
        until=T("2026-02-10 15:00"),
    )
    got = sorted((r["customer_id"], r["step_id"], r["at"]) for r in rows)
    assert got == sorted(
        [
            (E, "s1", T("2026-01-06 12:00")),
            (E, "s6", T("2026-01-07 09:00")),
            (E, "s6", T("2026-01-07 10:00")),
            (G, "s1", T("2026-01-07 09:00")),
            (F, "h1", T("2026-02-01 09:00")),
        ]
    )


def test_customer_steps_group_per_customer_and_step(journeys: GraphStore) -> None:
    frame = customer_steps(journeys, journey_steps(journeys))
    assert list(frame.columns) == [
        "journey_id",
        "customer_id",
        "step_id",
        "position",
        "first_at",
        "last_at",
        "touchpoints",
    ]
    assert len(frame) == 22  # 19 (customer, step) pairs in shop, 3 in help
    got = {(r.customer_id, r.step_id): r for r in frame.itertuples()}
    d1 = got[(D, "s1")]
    assert (d1.journey_id, d1.position, d1.touchpoints) == ("shop", 1, 2)
    assert (d1.first_at, d1.last_at) == (T("2026-01-04 09:00"), T("2026-01-05 09:00"))
    assert got[(E, "s6")].touchpoints == 2
    assert (got[(G, "h1")].journey_id, got[(G, "h1")].position) == ("help", 1)
    empty = customer_steps(journeys, journey_steps(journeys), since=T("2030-01-01"))
    assert empty.empty and list(empty.columns) == list(frame.columns)


def test_journey_steps_frame_groups_owners(journeys: GraphStore) -> None:
    steps = journey_steps(journeys)
    assert list(steps["journey_id"]) == ["empty"] + ["help"] * 3 + ["news"] + ["shop"] * 6
    by_id = steps.dropna(subset=["step_id"]).set_index("step_id")
    assert by_id.loc["s5", "owners"] == ["care", "mkt"]
    assert by_id.loc["s5", "owner_names"] == ["Care", "Marketing"]
    assert by_id.loc["s3", "owners"] == []
    assert list(by_id.loc[by_id["journey_id"] == "shop"].index) == [f"s{i}" for i in range(1, 7)]


def test_current_steps_take_the_latest_touchpoint_and_the_further_step_on_ties(
    journeys: GraphStore,
) -> None:
    current = current_steps(customer_steps(journeys, journey_steps(journeys)))
    got = {(r.journey_id, r.customer_id): r.step_id for r in current.itertuples()}
    assert got == {
        ("shop", A): "s3",
        ("shop", B): "s5",
        ("shop", C): "s1",
        ("shop", D): "s5",
        ("shop", E): "s6",
        ("shop", G): "s3",  # s2 and s3 both at 10:00: the further step
        ("help", F): "h2",
        ("help", G): "h1",
    }
    # the 360 card's query agrees, customer by customer
    for (journey, customer), step in got.items():
        rows = current_journey_steps(journeys, customer)
        first = next(r for r in rows if r["journey_id"] == journey)
        assert first["step_id"] == step


# --- the funnel ----------------------------------------------------------------------------


def test_funnel_counts_conversion_out_of_order_medians_and_drop_off(journeys: GraphStore) -> None:
    funnel = journey_funnel(journeys, "shop")
    assert (funnel.journey_id, funnel.journey, funnel.customers) == ("shop", "Shop", 6)
    got = {
        s.step_id: (
            s.customers,
            s.from_previous,
            s.conversion,
            s.without_previous,
            s.before_previous,
            s.out_of_order,
            s.median_seconds,
            s.drop_off,
        )
        for s in funnel.steps
    }
    assert got == {
        "s1": (6, None, None, None, None, None, None, 0),
        # C reached the cart before browsing; times s1 -> s2: A 10 min, B 30 min, D 24 h 5 min,
        # G 1 h: median (30 + 60) / 2 min
        "s2": (5, 5, 5 / 6, 0, 1, 1, 2700.0, 1),
        # G's cart and checkout are simultaneous: in order, 0 s; A 10 min, B 30 min
        "s3": (3, 3, 3 / 5, 0, 0, 0, 600.0, 2),
        # D paid without a checkout
        "s4": (2, 1, 1 / 3, 1, 0, 1, 1800.0, 0),
        # B: 8 days 1 h 30 min; D: 15 days 40 min
        "s5": (2, 2, 1.0, 0, 0, 0, (696_600 + 1_298_400) / 2, 2),
        "s6": (1, 0, 0.0, 1, 0, 1, None, 1),
    }
    rates = {s.step_id: s.drop_off_rate for s in funnel.steps}
    assert rates == {"s1": 0.0, "s2": 1 / 5, "s3": 2 / 3, "s4": 0.0, "s5": 1.0, "s6": 1.0}
    assert [s.owners for s in funnel.steps] == [
        ["mkt"],
        ["sales"],
        [],
        ["sales"],
        ["care", "mkt"],
        [],
    ]


def test_funnel_paths(journeys: GraphStore) -> None:
    funnel = journey_funnel(journeys, "shop", paths=10)
    got = [(p.steps, p.customers, p.in_order, p.skips) for p in funnel.paths]
    assert got == [
        (["s1", "s2", "s3"], 2, True, False),  # A, and G (simultaneous s2, s3: position order)
        (["s1", "s6"], 1, True, True),  # E
        (["s2", "s1"], 1, False, False),  # C
        (["s1", "s2", "s4", "s5"], 1, True, True),  # D: repeats of s1 collapse
        (["s1", "s2", "s3", "s4", "s5"], 1, True, False),  # B
    ]
    assert funnel.paths[0].share == 2 / 6
    assert funnel.distinct_paths == 5
    assert funnel.out_of_order_customers == 1
    assert [p.steps for p in journey_funnel(journeys, "shop", paths=2).paths] == [
        ["s1", "s2", "s3"],
        ["s1", "s6"],
    ]


def test_funnel_in_a_time_window(journeys: GraphStore) -> None:
    funnel = journey_funnel(
        journeys, "shop", since=T("2026-01-05"), until=T("2026-01-08"), paths=10
    )
    assert funnel.customers == 3  # D (from its second visit), E, G
    got = {s.step_id: (s.customers, s.conversion, s.median_seconds) for s in funnel.steps}
    assert got == {
        "s1": (3, None, None),
        "s2": (2, 2 / 3, (300 + 3600) / 2),  # D 09:00 -> 09:05, G 09:00 -> 10:00
        "s3": (1, 1 / 2, 0.0),
        "s4": (1, 0.0, None),
        "s5": (0, 0.0, None),
        "s6": (1, None, None),  # nobody reached s5 in the window: no conversion
    }


def test_funnel_of_a_journey_without_traffic_or_steps(journeys: GraphStore) -> None:
    news = journey_funnel(journeys, "news")
    assert (news.customers, news.paths, news.distinct_paths) == (0, [], 0)
    assert [(s.step_id, s.customers, s.drop_off) for s in news.steps] == [("n1", 0, 0)]
    empty = journey_funnel(journeys, "empty")
    assert (empty.journey, empty.steps, empty.customers) == ("Empty", [], 0)
    with pytest.raises(NotFoundError, match="nope"):
        journey_funnel(journeys, "nope")


# --- the command ---------------------------------------------------------------------------


def test_funnel_command(journey_db: str, tmp_path: Path) -> None:
    db = journey_db
    runner = CliRunner()
    plot = tmp_path / "funnel.png"
    result = runner.invoke(
        app,
        ["funnel", "shop", "--store", db, "--format", "json", "--plot", str(plot)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["customers"] for s in data["steps"]] == [6, 5, 3, 2, 2, 1]
    assert data["paths"][0] == {
        "steps": ["s1", "s2", "s3"],
        "customers": 2,
        "share": 2 / 6,
        "in_order": True,
        "skips": False,
    }
    assert plot.read_bytes().startswith(b"\x89PNG")

    csv_out = runner.invoke(
        app, ["funnel", "shop", "--store", db, "--format", "csv", "--since", "2026-01-05"]
    ).stdout.splitlines()
    assert csv_out[0].startswith("step_id,step,position,owners,customers,from_previous,")
    assert csv_out[1].startswith("s1,Browse,1,mkt,3,")  # D, E and G browsed from 01-05 on

    table = runner.invoke(app, ["funnel", "shop", "--store", db, "--paths", "3"])
    assert table.exit_code == 0
    assert "OUT OF ORDER" in table.stdout
    assert "s2 > s1" in table.stdout

    missing = runner.invoke(app, ["funnel", "nope", "--store", db])
    assert missing.exit_code == EXIT_REFUSED
    assert "no journey 'nope'" in missing.stderr
