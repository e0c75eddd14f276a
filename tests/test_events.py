"""Streaming events: a reason per event, idempotence, group commit, backpressure.

The tiny bundle's people (see tests/test_realtime.py): Ada (crm:1, shop:A-77, support:Z9,
ada@example.org), Grace (crm:2, grace@example.org), Alan (crm:3); steps buy-1 .. buy-4;
departments care, crm-team, news, sales.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import TINY

from graph360.analytics.routing import route_now
from graph360.ingest.events import apply_events, outcome_counts
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.ingest.writer import Backpressure, EventWriter
from graph360.store import GraphStore

ADA, GRACE = customer_id_for("crm:1"), customer_id_for("crm:2")
NOW = dt.datetime(2024, 4, 2, 9, 0)


@pytest.fixture
def graph(store: GraphStore, tmp_path: Path) -> GraphStore:
    load_bundle(store, TINY, rejects_path=tmp_path / "rejects.csv", max_shared=2)
    return store


def tp(tid: str, **fields: Any) -> dict[str, Any]:
    """An event: a touchpoint with ``fields`` (a ``customer`` row among them, if any)."""
    base = {"touchpoint_id": tid, "at": "2024-04-01T10:00:00Z", "channel": "web", "kind": "view"}
    return base | fields


def had(graph: GraphStore, tid: str) -> list[str]:
    frame = graph.all_relationships("HAD")
    return sorted(frame["from"][frame["to"] == tid])


def test_a_mixed_batch_lands_the_good_events_and_gives_each_bad_one_its_reason(
    graph: GraphStore,
) -> None:
    before = graph.counts()["nodes"]
    outcomes, _ = apply_events(
        graph,
        [
            tp("E1", source="crm", customer_id="1", step_id="buy-1"),
            tp("E2", source="crm", customer_id="nobody"),
            tp("E3", email="GRACE@example.org", department_id="sales"),
            tp("E4", source="crm", customer_id="2", step_id="no-such-step"),
            tp("E5", customer={"source": "desk", "customer_id": "9", "email": "not-an-email"}),
            "not an object",
            tp("E7", source="crm", customer_id="3", rating="9", rating_scale="5"),
        ],
        max_shared=2,
        now=NOW,
    )
    got = {(o.index, o.touchpoint_id, o.status, o.customer_id) for o in outcomes}
    assert got == {
        (0, "E1", "recorded", ADA),
        (1, "E2", "rejected", None),
        (2, "E3", "recorded", GRACE),
        (3, "E4", "rejected", None),
        (4, "E5", "rejected", None),
        (5, None, "rejected", None),
        (6, "E7", "rejected", None),
    }
    reasons = {o.index: o.reasons for o in outcomes}
    assert reasons[1] == ["unknown customer 'crm:nobody'"]
    assert reasons[3] == ["unknown journey step 'no-such-step'"]
    assert any("not-an-email" in r for r in reasons[4]), reasons[4]
    assert reasons[5] == ["an event must be a JSON object, not str"]
    assert reasons[6] and all(r for r in reasons[6])
    assert had(graph, "E1") == [ADA] and had(graph, "E3") == [GRACE]
    after = graph.counts()["nodes"]
    assert after["Touchpoint"] == before["Touchpoint"] + 2
    assert after["SourceRecord"] == before["SourceRecord"]  # E5's record was not written
    steps = graph.all_relationships("AT_STEP")
    assert list(steps["to"][steps["from"] == "E1"]) == ["buy-1"]
    handled = graph.all_relationships("HANDLED_BY")
    assert list(handled["to"][handled["from"] == "E3"]) == ["sales"]


def test_an_event_sent_again_is_recorded_once(graph: GraphStore) -> None:
    first, _ = apply_events(graph, [tp("D1", source="crm", customer_id="1")], now=NOW)
    repeats = [
        tp("D1", source="crm", customer_id="2"),
        tp("D2", source="crm", customer_id="2"),
        tp("D2", source="crm", customer_id="1"),
    ]
    again, _ = apply_events(graph, repeats, now=NOW)
    assert [o.status for o in first] == ["recorded"]
    assert [o.status for o in again] == ["recorded" if i == 1 else "duplicate" for i in range(3)]
    assert had(graph, "D1") == [ADA] and had(graph, "D2") == [GRACE]


def test_a_new_person_in_an_event_creates_a_customer(graph: GraphStore) -> None:
    outcomes, _ = apply_events(
        graph,
        [tp("N1", customer={"source": "desk", "customer_id": "42", "email": "mary@example.org"})],
        now=NOW,
    )
    mary = customer_id_for("desk:42")
    assert [(o.status, o.customer_id) for o in outcomes] == [("recorded", mary)]
    assert had(graph, "N1") == [mary]


def test_an_event_changing_a_record_keeps_when_it_was_first_identified(graph: GraphStore) -> None:
    """The event's customer row changes Ada's CRM record (a new city): the record is written
    again, and every IDENTIFIED_BY keeps the time it was first identified (the rule may name
    another link: an event resolves over its neighbourhood, docs/DECISIONS.md)."""

    def identified() -> dict:
        rows = graph.all_relationships("IDENTIFIED_BY").to_dict("records")
        return {r["to"]: r["at"] for r in rows}

    before = identified()
    record = {"source": "crm", "customer_id": "1", "name": "Ada Lovelace"}
    record |= {"email": "ada@example.org", "city": "Bristol"}
    outcomes, _ = apply_events(graph, [tp("C1", customer=record)], now=NOW)
    assert [o.status for o in outcomes] == ["recorded"]
    assert identified() == before


def test_concurrent_callers_share_one_group_and_each_gets_its_own_outcomes(
    graph: GraphStore,
) -> None:
    writer = EventWriter(graph)
    gate = threading.Event()
    held = writer.call(lambda store: gate.wait(10))  # the writer is busy: requests queue
    futures = [
        writer.submit([tp(f"G{i}a", source="crm", customer_id="1"), tp(f"G{i}b", email="x")])
        for i in range(5)
    ]
    gate.set()
    held.result(10)
    results = [future.result(10) for future in futures]
    writer.close()
    assert writer.groups == 1
    for i, outcomes in enumerate(results):
        assert [(o.index, o.touchpoint_id, o.status) for o in outcomes] == [
            (0, f"G{i}a", "recorded"),
            (1, f"G{i}b", "rejected"),
        ]
    assert outcome_counts(o for r in results for o in r) == {
        "recorded": 5,
        "duplicate": 0,
        "rejected": 5,
        "suppressed": 0,
    }


def test_a_full_queue_refuses_at_once(graph: GraphStore) -> None:
    writer = EventWriter(graph, max_pending=3)
    gate = threading.Event()
    writer.call(lambda store: gate.wait(10))
    accepted = writer.submit([tp("Q1", source="crm", customer_id="1")] * 2)
    with pytest.raises(Backpressure) as refused:
        writer.submit([tp("Q2", source="crm", customer_id="1")] * 2)
    assert refused.value.retry_after >= 1
    gate.set()
    assert [o.status for o in accepted.result(10)] == ["recorded", "duplicate"]
    writer.close()


def test_a_poor_rating_routes_its_customer_after_the_group(graph: GraphStore) -> None:
    writer = EventWriter(graph, router=route_now)
    done = writer.submit(
        [tp("R1", source="crm", customer_id="2", step_id="buy-2", rating="1", rating_scale="5")]
    )
    assert [o.status for o in done.result(10)] == ["recorded"]
    writer.close()  # finishes the routing queued after the group
    actions = graph.query("customer_actions", customer_id=GRACE)
    assert [a["action_id"] for a in actions] == ["action:poor_rating:R1"]


def test_an_event_compares_unchanged_when_its_row_later_arrives_in_a_bundle(
    graph: GraphStore, tmp_path: Path
) -> None:
    """Events carry the loader's row hashes: the nightly bundle that holds the same rows
    (touchpoints and a new person's record) finds them unchanged and writes nothing of them."""
    mary = {"source": "desk", "customer_id": "42", "name": "Mary", "email": "mary@example.org"}
    events = [
        tp(
            "B1",
            source="crm",
            customer_id="1",
            step_id="buy-1",
            value=12.5,
            rating=4,
            rating_scale=5,
        ),
        tp("B2", email="GRACE@example.org", department_id="sales", sentiment=-0.25),
        tp("B3", source="desk", customer_id="42", customer=mary, campaign_id="CMP1"),
    ]
    outcomes, _ = apply_events(graph, events, max_shared=2, now=NOW)
    assert [o.status for o in outcomes] == ["recorded"] * 3
    folder = tmp_path / "nightly"
    shutil.copytree(TINY, folder)
    _append(
        folder / "touchpoints.csv",
        [{k: v for k, v in e.items() if k != "customer"} for e in events],
    )
    _append(folder / "customers.csv", [mary])
    before = graph.counts()
    report = load_bundle(graph, folder, rejects_path=tmp_path / "r2.csv", max_shared=2)
    touchpoints, records = report.files["touchpoints"], report.files["customers"]
    assert (touchpoints.new, touchpoints.changed) == (0, 0)
    assert touchpoints.unchanged == touchpoints.loaded == 6 + 3
    assert (records.new, records.changed) == (0, 0)
    assert (report.files["Customer"].new, report.files["Customer"].changed) == (0, 0)
    assert graph.counts() == before


def _append(path: Path, rows: list[dict[str, Any]]) -> None:
    """``rows`` added to a bundle's CSV file, in its own columns (a missing field empty)."""
    with path.open(newline="", encoding="utf-8") as handle:
        columns = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, restval="")
        writer.writerows(rows)


@pytest.mark.parametrize("delay", [0.0, 60.0])
def test_routing_waits_for_a_quiet_queue_at_most_its_delay(graph: GraphStore, delay: float) -> None:
    """A stream that never lets the queue empty cannot starve routing: once a customer has
    waited ``max_route_delay``, it is routed before the next group (and not before, if not)."""
    writer = EventWriter(graph, router=route_now, max_route_delay=delay)
    gate = threading.Event()
    writer.call(lambda store: gate.wait(10))
    rated = tp("S1", source="crm", customer_id="2", step_id="buy-2", rating="1", rating_scale="5")
    writer.submit([rated])
    writer.submit([tp("S2", source="crm", customer_id="1")])
    seen = writer.call(lambda store: store.query("customer_actions", customer_id=GRACE))
    gate.set()
    actions = [a["action_id"] for a in seen.result(30)]
    writer.close()
    assert actions == (["action:poor_rating:S1"] if delay == 0.0 else [])
    routed = [a["action_id"] for a in graph.query("customer_actions", customer_id=GRACE)]
    assert routed == ["action:poor_rating:S1"]  # routed in the end either way


def test_a_complaint_without_an_outcome_flags_its_customer_after_the_group(
    graph: GraphStore,
) -> None:
    writer = EventWriter(graph, router=route_now)
    done = writer.submit([tp("K1", source="crm", customer_id="2", kind="ticket")])
    assert [o.status for o in done.result(10)] == ["recorded"]
    writer.close()
    flags = graph.query("customer_flags", customer_id=GRACE)
    assert "flag:unresolved_complaint:" + GRACE + ":K1" in [f["flag_id"] for f in flags]


def test_the_writer_checkpoints_in_a_pause_and_not_while_events_stream(graph: GraphStore) -> None:
    """A LadybugDB checkpoint holds the writer ~1 s at 1M / 10M: it is taken once nothing has
    come for ``quiet_seconds``, never between the events of a stream, and once a pause."""
    if graph.backend != "ladybug":
        pytest.skip("a server backend checkpoints on its own")
    wal = Path(graph.location + ".wal")
    graph.checkpoint()  # the load's log
    writer = EventWriter(graph, quiet_seconds=0.5, quiet_checkpoint_bytes=1)
    for i in range(8):  # an event every ~0.05 s: never a pause of 0.5 s
        writer.submit([tp(f"S{i}", source="crm", customer_id="1")]).result(10)
        time.sleep(0.05)
    assert writer.checkpoints == 0
    assert wal.stat().st_size > 0
    deadline = time.monotonic() + 5
    while writer.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writer.checkpoints == 1
    assert not wal.exists() or wal.stat().st_size == 0
    time.sleep(1.2)  # a longer pause with nothing new written: nothing more to do
    assert writer.checkpoints == 1
    writer.close()
    assert had(graph, "S7") == [ADA]
