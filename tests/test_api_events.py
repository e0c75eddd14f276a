"""POST /events and recordTouchpoints through the real ASGI app; a SIGKILL after the answer.

The store holds the tiny bundle (people in tests/test_realtime.py: Ada is crm:1, Grace crm:2).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import Api, free_port, serve, wait_until_ready
from helpers import TINY

from graph360.api.auth import KeyRing
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.store import open_store

ADA, GRACE = customer_id_for("crm:1"), customer_id_for("crm:2")


def tiny_store(folder: Path) -> str:
    location = str(folder / "tiny.lbug")
    graph = open_store(location)
    try:
        load_bundle(graph, TINY, rejects_path=folder / "rejects.csv", max_shared=2)
    finally:
        graph.close()
    return location


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from serve(tiny_store(tmp_path), tmp_path, max_pending_events=4)


def tp(tid: str, **fields: Any) -> dict[str, Any]:
    base = {"touchpoint_id": tid, "at": "2024-04-01T10:00:00Z", "channel": "web", "kind": "view"}
    return base | fields


def gql_tp(tid: str, **fields: Any) -> dict[str, Any]:
    """A TouchpointEventInput (GraphQL's camelCase names)."""
    return {"touchpointId": tid, "at": "2024-04-01T10:00:00Z", "channel": "web", "kind": "view"} | (
        fields
    )


def post_events(api: Api, body: Any, role: str = "agent", **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.tokens[role]}"} | kw.pop("headers", {})
    if isinstance(body, (bytes, str)):
        return api.client.post("/events", content=body, headers=headers, **kw)
    return api.client.post("/events", json=body, headers=headers, **kw)


def card_touchpoints(api: Api, ref: str) -> list[str]:
    query = """query($ref: String!) { customer(ref: $ref) {
      touchpoints(first: 50) { edges { node { id } } } } }"""
    page = api.gql(query, {"ref": ref})["customer"]["touchpoints"]
    return [e["node"]["id"] for e in page["edges"]]


def test_a_mixed_batch_answers_per_event_and_the_good_ones_show_on_the_card(api: Api) -> None:
    response = post_events(
        api,
        [
            tp("H1", source="crm", customer_id="1"),
            tp("H2", source="crm", customer_id="nobody"),
            tp("H1", source="crm", customer_id="1"),
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["recorded"], body["duplicate"], body["rejected"]) == (1, 1, 1)
    assert [(e["touchpoint_id"], e["status"], e["customer_id"]) for e in body["events"]] == [
        ("H1", "recorded", ADA),
        ("H2", "rejected", None),
        ("H1", "duplicate", None),
    ]
    assert body["events"][1]["reasons"] == ["unknown customer 'crm:nobody'"]
    assert "H1" in card_touchpoints(api, "crm:1")


def test_ndjson_and_a_resend_is_recorded_once(api: Api) -> None:
    lines = "\n".join(json.dumps(tp(t, source="crm", customer_id="2")) for t in ("J1", "J2"))
    ndjson = {"Content-Type": "application/x-ndjson"}
    first = post_events(api, lines + "\n", headers=ndjson).json()
    again = post_events(api, lines, headers=ndjson).json()
    assert [e["status"] for e in first["events"]] == ["recorded", "recorded"]
    assert [e["status"] for e in again["events"]] == ["duplicate", "duplicate"]
    assert card_touchpoints(api, "crm:2").count("J1") == 1


def test_bad_bodies_and_keys_are_clear_refusals(api: Api) -> None:
    assert post_events(api, "[{", headers={"Content-Type": "application/json"}).status_code == 400
    bad_line = post_events(api, '{"a": 1}\n{', headers={"Content-Type": "application/x-ndjson"})
    assert (bad_line.status_code, bad_line.json()["errors"][0]["message"]) == (
        400,
        "line 2 is not JSON",
    )
    assert post_events(api, "x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert post_events(api, [tp("K1")], role="analyst").status_code == 403
    assert api.client.post("/events", json=[tp("K1")]).status_code == 401
    assert post_events(api, {"touchpoint_id": "K2"}).json()["rejected"] == 1


def test_a_full_write_queue_answers_429_with_retry_after_at_once(api: Api) -> None:
    events = api.client.app.state.runner.events  # type: ignore[attr-defined]
    gate = threading.Event()
    held = events.call(lambda store: gate.wait(30))  # the writer is busy
    waiting: list[httpx.Response] = []
    first = threading.Thread(
        target=lambda: waiting.append(
            post_events(api, [tp(f"F{i}", source="crm", customer_id="1") for i in range(3)])
        )
    )
    first.start()
    deadline = time.monotonic() + 10
    while events.pending < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    refused = post_events(api, [tp("F8", source="crm", customer_id="1")] * 2)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    gate.set()
    held.result(10)
    first.join(10)
    assert waiting[0].status_code == 200 and waiting[0].json()["recorded"] == 3


def test_record_touchpoints_mutation(api: Api) -> None:
    data = api.gql(
        """mutation($batch: [TouchpointEventInput!]!) { recordTouchpoints(batch: $batch) {
          recorded duplicate rejected
          events { index touchpointId status customerId reasons } } }""",
        {
            "batch": [
                gql_tp("M1", email="grace@example.org"),
                gql_tp("M2", customer={"source": "desk", "customerId": "5", "email": "m@x.org"}),
                gql_tp("M3", source="crm", customerId="1", stepId="nope"),
            ]
        },
        role="agent",
    )["recordTouchpoints"]
    assert (data["recorded"], data["duplicate"], data["rejected"]) == (2, 0, 1)
    assert [(e["touchpointId"], e["status"], e["customerId"]) for e in data["events"]] == [
        ("M1", "recorded", GRACE),
        ("M2", "recorded", customer_id_for("desk:5")),
        ("M3", "rejected", None),
    ]
    assert data["events"][2]["reasons"] == ["unknown journey step 'nope'"]


# --- durability: SIGKILL right after the answer ----------------------------------------------


def test_an_acknowledged_event_survives_sigkill(tmp_path: Path) -> None:
    location = tiny_store(tmp_path)
    ring = KeyRing(tmp_path / "keys.json")
    token = ring.create("killer", "agent")
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "graph360.cli", "serve", "--store", location),
            *("--keys", str(ring.path), "--port", str(port)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(port, server, seconds=60)
        events = [tp(f"S{i}", source="crm", customer_id="1") for i in range(20)]
        answer = httpx.post(
            f"{url}/events", json=events, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        os.kill(server.pid, signal.SIGKILL)  # at once: no shutdown, no checkpoint
        assert answer.status_code == 200 and answer.json()["recorded"] == 20
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
    graph = open_store(location)
    try:
        stored = set(graph.all_nodes("Touchpoint")["touchpoint_id"])
        frame = graph.all_relationships("HAD")
        owners = set(frame["from"][frame["to"].isin({f"S{i}" for i in range(20)})])
    finally:
        graph.close()
    assert {f"S{i}" for i in range(20)} <= stored
    assert owners == {ADA}


def test_reads_over_the_limit_are_refused_at_once_with_503_and_retry_after(api: Api) -> None:
    """Admission control: with ``max_reads_in_flight`` reads being served, one more query is
    refused at once (503 + Retry-After), a mutation still goes to the write queue, and a read
    is served again once one finishes (every request gives its place back, errors too)."""
    reads = api.client.app.state.reads  # type: ignore[attr-defined]
    card = "query($ref: String!) { customer(ref: $ref) { id } }"
    assert api.post(card, {"ref": "crm:1"}).status_code == 200
    assert api.post("query { nope }").status_code == 200  # an error answer, place given back
    assert reads.in_flight == 0 and reads.limit == 8
    refused_before = reads.refused
    reads.in_flight = reads.limit  # as if eight cards were being served
    try:
        busy = api.client.post(
            "/graphql",
            json={"query": card, "variables": {"ref": "crm:1"}},
            headers={"Authorization": f"Bearer {api.tokens['agent']}"},
        )
        assert busy.status_code == 503
        assert int(busy.headers["Retry-After"]) >= 1
        assert busy.json()["errors"][0]["message"] == "the server is busy: retry shortly"
        wrote = api.gql(
            "mutation($b: [TouchpointEventInput!]!) { recordTouchpoints(batch: $b) { recorded } }",
            {"b": [gql_tp("AC1", source="crm", customerId="1")]},
        )
        assert wrote == {"recordTouchpoints": {"recorded": 1}}
    finally:
        reads.in_flight = 0
    assert reads.refused == refused_before + 1
    assert api.post(card, {"ref": "crm:1"}).json()["data"]["customer"]["id"]
