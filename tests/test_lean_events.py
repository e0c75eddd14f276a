"""The lean path for live events gives the loader's graph and outcomes, or steps aside.

``graph360.ingest.lean`` accepts only groups of touchpoints of known customers that break no
rule; everything else goes through the loader's ``prepare_batch`` (``apply_events(lean=False)``
is that path alone). Each test writes the same events both ways into two copies of the tiny
graph and compares the graphs exactly (``tests.conftest.snapshot``) and the outcomes.
LadybugDB only: the comparison needs two graphs at once, and there is no Neo4j server here.

The tiny bundle's people: Ada (crm:1, shop:A-77, support:Z9, ada@example.org), Grace (crm:2,
grace@example.org), Alan (crm:3), three placeholders sharing test@example.com (blocked with
max_shared=2); steps buy-1 .. buy-4; departments care, crm-team, news, sales; CMP1; P1.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import TINY, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph360.ingest.events import apply_events
from graph360.ingest.identity import customer_id_for
from graph360.ingest.lean import prepare_lean
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore, open_store

ADA, GRACE = customer_id_for("crm:1"), customer_id_for("crm:2")
NOW = dt.datetime(2024, 4, 2, 9, 0)  # stamps a new record: the same on both paths


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lean")
    graph = open_store(str(folder / "tiny.lbug"))
    load_bundle(graph, TINY, rejects_path=folder / "rejects.csv", max_shared=2)
    graph.close()
    return folder / "tiny.lbug"


@pytest.fixture
def pair(template: Path, tmp_path: Path) -> Iterator[tuple[GraphStore, GraphStore]]:
    yield from _pair(template, tmp_path)


def _pair(template: Path, folder: Path) -> Iterator[tuple[GraphStore, GraphStore]]:
    """Two copies of the tiny graph, opened."""
    stores = []
    for name in ("lean", "full"):
        path = folder / f"{name}.lbug"
        for stale in folder.glob(f"{name}.lbug*"):
            stale.unlink()
        shutil.copy(template, path)
        stores.append(open_store(str(path)))
    yield stores[0], stores[1]
    for graph in stores:
        graph.close()


def tp(tid: str, **fields: Any) -> dict[str, Any]:
    base = {"touchpoint_id": tid, "at": "2024-04-01T10:00:00Z", "channel": "web", "kind": "view"}
    return base | fields


def both_ways(lean: GraphStore, full: GraphStore, events: list[Any]) -> list[dict]:
    """Apply ``events`` on each path; assert the same outcomes and graphs; the outcomes."""
    got_lean, routed_lean = apply_events(lean, events, max_shared=2, now=NOW)
    got_full, routed_full = apply_events(full, events, max_shared=2, now=NOW, lean=False)
    assert [o.to_dict() for o in got_lean] == [o.to_dict() for o in got_full]
    assert routed_lean == routed_full
    assert snapshot(lean) == snapshot(full)
    return [o.to_dict() for o in got_lean]


GOOD = [
    tp("L1", source="crm", customer_id="1", step_id="buy-1", campaign_id="CMP1"),
    tp("L2", email=" GRACE@example.org ", department_id="sales", sentiment="-0.25"),
    tp(
        "L3",
        source="shop",
        customer_id="A-77",
        product_id="P1",
        value=12.5,
        rating=4,
        rating_scale=5,
        text="fine",
        outcome="ok",
        resolution="done",
    ),
    tp(
        "L4",
        source="crm",
        customer_id="3",
        at="2024-04-01T12:00:00+02:00",
        rating="9",
        rating_scale="10.0",
        browser="firefox",
        page=" /home ",
    ),
    tp("L5", source="crm", customer_id="2", email="not-an-email", kind="complaint"),
]


def test_good_events_take_the_lean_path_and_land_as_the_loader_lands_them(pair) -> None:
    lean, full = pair
    assert prepare_lean(lean, GOOD, max_shared=2) is not None
    outcomes = both_ways(lean, full, GOOD)
    assert [o["status"] for o in outcomes] == ["recorded"] * 5
    customers = [o["customer_id"] for o in outcomes]
    assert customers == [ADA, GRACE, ADA, customer_id_for("crm:3"), GRACE]
    step = lean.all_relationships("AT_STEP")
    assert step[step["from"] == "L1"]["to"].tolist() == ["buy-1"]
    assert lean.get_nodes("Touchpoint", __import__("pyarrow").array(["L4"])).column(
        "attributes"
    ).to_pylist() == ['{"browser": "firefox", "page": "/home"}']


BAD = {
    "unknown record": tp("X1", source="crm", customer_id="nobody"),
    "no reference": tp("X2"),
    "unknown e-mail": tp("X3", email="who@example.org"),
    "blocked e-mail": tp("X4", email="test@example.com"),
    "invalid e-mail only": tp("X5", email="not-an-email"),
    "unknown step": tp("X6", source="crm", customer_id="1", step_id="no-such-step"),
    "unknown campaign": tp("X7", source="crm", customer_id="1", campaign_id="NOPE"),
    "unknown department": tp("X8", source="crm", customer_id="1", department_id="nope"),
    "unknown product": tp("X9", source="crm", customer_id="1", product_id="nope"),
    "bad date": tp("X10", source="crm", customer_id="1", at="yesterday"),
    "missing kind": tp("X11", source="crm", customer_id="1", kind=" "),
    "not a number": tp("X12", source="crm", customer_id="1", value="lots"),
    "infinite": tp("X13", source="crm", customer_id="1", value="inf"),
    "rating without scale": tp("X14", source="crm", customer_id="1", rating=3),
    "scale not 5 or 10": tp("X15", source="crm", customer_id="1", rating=3, rating_scale=7),
    "rating off its scale": tp("X16", source="crm", customer_id="1", rating=0, rating_scale=5),
    "fractional scale": tp("X17", source="crm", customer_id="1", rating=3, rating_scale=4.5),
    "sentiment out of range": tp("X18", source="crm", customer_id="1", sentiment=1.5),
    "a customer record": tp("X19", customer={"source": "desk", "customer_id": "9"}),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_an_event_the_loader_would_not_take_as_is_goes_the_full_way(pair, case: str) -> None:
    """The lean path steps aside (None); the group's outcomes and graph are the loader's,
    the good event beside the bad one still lands."""
    lean, full = pair
    events = [GOOD[0], BAD[case]]
    if case != "a customer record":
        assert prepare_lean(lean, events, max_shared=2) is None
    outcomes = both_ways(lean, full, events)
    assert outcomes[0]["status"] == "recorded"


REFERENCE = st.sampled_from(
    [
        {"source": "crm", "customer_id": "1"},
        {"source": "support", "customer_id": "Z9"},
        {"source": "crm", "customer_id": "2"},
        {"source": "crm", "customer_id": "nobody"},
        {"email": "ADA@example.org"},
        {"email": "grace@example.org", "source": "crm", "customer_id": "3"},
        {"email": "test@example.com"},
        {"email": "who@example.org"},
        {"email": "bad"},
        {},
    ]
)
MAYBE = st.none().map(lambda _: {})
EVENT = st.builds(
    lambda tid, ref, at, extra: tp(tid, **ref, **at, **extra),
    st.sampled_from(["H1", "H2", "H3", "T1"]),  # T1 is in the graph: a duplicate
    REFERENCE,
    st.sampled_from(
        [{}, {"at": "2024-04-01 10:00"}, {"at": "2024-04-01T10:00:00-05:00"}, {"at": "soon"}]
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "step_id": st.sampled_from(["buy-1", "buy-4", "nope"]),
            "campaign_id": st.sampled_from(["CMP1", "NOPE"]),
            "department_id": st.sampled_from(["care", "news", "nope"]),
            "product_id": st.sampled_from(["P1", "nope"]),
            "value": st.sampled_from([1, 2.5, "3", "x", "-0"]),
            "rating": st.sampled_from([0, 1, 5, 9, 10, "7.5"]),
            "rating_scale": st.sampled_from([5, 10, "10", 7, 5.5]),
            "sentiment": st.sampled_from([-1, 0.3, 1.01, "0.5"]),
            "text": st.sampled_from(["hi", "  ", "ünï"]),
            "kind": st.sampled_from(["complaint", "view", ""]),
            "page": st.sampled_from(["/a", None]),
        },
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=st.lists(EVENT, min_size=1, max_size=4))
def test_random_events_give_the_same_graph_and_outcomes_on_both_paths(
    template: Path, tmp_path: Path, events: list[dict]
) -> None:
    for lean, full in _pair(template, tmp_path):
        both_ways(lean, full, events)


def test_events_create_touchpoints(pair) -> None:
    """The named query creates each row's touchpoint with its HAD and only the ends it names;
    a row whose customer is missing creates nothing, and create_touchpoints then raises."""
    import pyarrow as pa

    from graph360.errors import StoreError
    from graph360.ingest.events import create_touchpoints
    from graph360.ingest.lean import TOUCHPOINT_ROW

    graph, _ = pair
    at = dt.datetime(2024, 4, 1, 10)
    rows = [
        {
            "customer_id": ADA,
            "touchpoint_id": "Q1",
            "at": at,
            "channel": "web",
            "kind": "view",
            "step_id": "buy-1",
            "department_id": "care",
            "row_hash": 7,
        },
        {
            "customer_id": GRACE,
            "touchpoint_id": "Q2",
            "at": at,
            "channel": "email",
            "kind": "open",
            "campaign_id": "CMP1",
            "product_id": "P1",
            "rating": 4.0,
            "rating_scale": 5,
        },
    ]
    table = pa.Table.from_pylist(rows, schema=TOUCHPOINT_ROW)
    with graph.atomic():
        assert graph.write("events_create_touchpoints", rows=table) == [{"created": 2}]
    stored = graph.get_nodes("Touchpoint", pa.array(["Q1", "Q2"])).to_pylist()
    assert [
        (t["touchpoint_id"], t["channel"], t["rating_scale"], t["row_hash"]) for t in stored
    ] == [
        ("Q1", "web", None, 7),
        ("Q2", "email", 5, None),
    ]

    def ends(rel_type: str) -> list[tuple[str, str]]:
        frame = graph.all_relationships(rel_type)
        frame = frame[frame["from"].isin(["Q1", "Q2"]) | frame["to"].isin(["Q1", "Q2"])]
        return sorted(zip(frame["from"], frame["to"], strict=True))

    assert ends("HAD") == sorted([(ADA, "Q1"), (GRACE, "Q2")])
    assert ends("AT_STEP") == [("Q1", "buy-1")]
    assert ends("HANDLED_BY") == [("Q1", "care")]
    assert ends("FROM_CAMPAIGN") == [("Q2", "CMP1")]
    assert ends("FOR_PRODUCT") == [("Q2", "P1")]
    before = graph.counts()
    ghost = pa.Table.from_pylist(
        [{"customer_id": "nobody", "touchpoint_id": "Q3", "at": at, "channel": "web", "kind": "v"}],
        schema=TOUCHPOINT_ROW,
    )
    with pytest.raises(StoreError, match="1 of 1 touchpoints name a customer"), graph.atomic():
        create_touchpoints(graph, ghost)
    assert graph.counts() == before


def test_a_group_past_the_probe_and_one_by_one_sizes_lands_as_the_loader_lands_it(pair) -> None:
    """Twelve events: the keys looked up per label and the touchpoints created by one
    LOAD FROM (events_create_touchpoints), not one by one; a bad one among them still sends
    the whole group the loader's way, with the same answer."""
    lean, full = pair
    events = [tp(f"G{i}", **GOOD[i % len(GOOD)] | {"touchpoint_id": f"G{i}"}) for i in range(12)]
    assert prepare_lean(lean, events, max_shared=2) is not None
    assert [o["status"] for o in both_ways(lean, full, events)] == ["recorded"] * 12
    more = [tp(f"G{i}", source="crm", customer_id="2", step_id="buy-2") for i in range(12, 22)]
    more.append(BAD["unknown product"])
    assert prepare_lean(lean, more, max_shared=2) is None
    outcomes = both_ways(lean, full, more)
    assert [o["status"] for o in outcomes] == ["recorded"] * 10 + ["rejected"]


def test_events_known_keys(pair) -> None:
    graph, _ = pair
    (row,) = graph.query(
        "events_known_keys",
        touchpoint_id="T1",
        campaign_id="CMP1",
        step_id="no-such-step",
        department_id="care",
        product_id=None,
    )
    assert row == {
        "touchpoint_id": "T1",
        "campaign_id": "CMP1",
        "step_id": None,
        "department_id": "care",
        "product_id": None,
    }
    (row,) = graph.query(
        "events_known_keys",
        touchpoint_id="nope",
        campaign_id=None,
        step_id="buy-4",
        department_id=None,
        product_id="P1",
    )
    assert row == {
        "touchpoint_id": None,
        "campaign_id": None,
        "step_id": "buy-4",
        "department_id": None,
        "product_id": "P1",
    }


def test_events_create_touchpoint(pair) -> None:
    """One touchpoint with its HAD and the one end it names; a missing customer: 0 created."""
    graph, _ = pair
    params = {column: None for column in __import__("graph360").ingest.lean.TOUCHPOINT_ROW.names}
    params |= {
        "customer_id": GRACE,
        "touchpoint_id": "S1",
        "at": dt.datetime(2024, 4, 1, 10),
        "channel": "phone",
        "kind": "call",
        "department_id": "care",
        "sentiment": 0.5,
    }
    with graph.atomic():
        assert graph.write("events_create_touchpoint", **params) == [{"created": 1}]
        assert graph.write(
            "events_create_touchpoint", **params | {"customer_id": "nobody", "touchpoint_id": "S2"}
        ) == [{"created": 0}]
    (stored,) = graph.get_nodes("Touchpoint", __import__("pyarrow").array(["S1", "S2"])).to_pylist()
    assert (stored["channel"], stored["sentiment"], stored["value"]) == ("phone", 0.5, None)
    had = graph.all_relationships("HAD")
    assert had[had["to"] == "S1"]["from"].tolist() == [GRACE]
    handled = graph.all_relationships("HANDLED_BY")
    assert handled[handled["from"] == "S1"]["to"].tolist() == ["care"]
    for rel_type in ("AT_STEP", "FROM_CAMPAIGN", "FOR_PRODUCT"):
        frame = graph.all_relationships(rel_type)
        assert (frame["from"] == "S1").sum() == 0
