#!/usr/bin/env python
"""Live events on a big graph: sustained touchpoints/s through ``POST /events`` while agents
open cards, the single ``recordTouchpoint``, and twice the rate (backpressure).

    python bench/realtime.py --store /work/scratch-live/g1m.lbug     # serve it (read-write!)
    python bench/realtime.py --store g.lbug --rate 1000 --seconds 60 --card-rate 20

Targets (issue 13, 2 cores, the 1M / 10M graph): at least 1,000 touchpoints/s sustained for
60 s while the card's p99 stays at most 100 ms at 20 cards/s; a single ``recordTouchpoint``
p99 at most 50 ms; a touchpoint acknowledged by ``/events`` on the card within 1 s; at twice
the rate the excess refused fast (429 + Retry-After) while accepted cards keep p99 <= 250 ms.

The store is written to: serve a copy, never a shared graph. Before the server starts, a child
process opens it read-only and samples customers (their record keys). Then ``graph360 serve``
runs as a subprocess (``bench/api.py``'s ``Server``) and this process is the client (httpx,
keep-alive), all **open loop**: requests leave on a fixed schedule whatever the server does and
each latency runs from the scheduled time, so queueing counts.

1. ``recordTouchpoint`` (GraphQL, one at a time, ``--singles``) and ``POST /events`` with one
   event, one at a time: the latency of a single write, from request to acknowledgement.
2. Sustained: ``--rate`` touchpoints/s as ``POST /events`` requests of ``--batch`` events, with
   cards at ``--card-rate`` meanwhile, for ``--seconds``. Every few seconds a just-acknowledged
   touchpoint is looked for on its customer's card (freshness).
3. Overload: the same at twice ``--rate``: how many were refused (429), how fast, and the cards.
4. Peer (DuckDB): the same event rows inserted, in the same batches, into a DuckDB table holding
   the bundle's touchpoints with a primary key (``--peer-bundle``; what a keyed append costs
   without a graph, identity resolution or relationships), side by side as a ratio.

The events name customers by ``source`` + ``customer_id`` (a record of the graph), most with a
journey step; ``--rated`` of them carry a rating, which makes the writer route their customers.
The figures go to the terminal and to ``<out>/realtime-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api as api_bench
import load as load_bench

HERE = Path(__file__).resolve().parent
TARGETS = {
    "sustained_touchpoints_per_s": 1000.0,
    "card_p99_ms_under_load": 100.0,
    "single_record_p99_ms": 50.0,
    "freshness_s": 1.0,
    "overload_card_p99_ms": 250.0,
}
RECORD_MUTATION = """
mutation Record($t: TouchpointInput!) {
  recordTouchpoint(touchpoint: $t) { touchpointId customerId }
}"""


def sample_child(db: Path, samples: int) -> None:
    """Record keys, their customers and the journey steps, from a read-only open."""
    from graph360.store import open_store

    store = open_store(str(db), read_only=True)
    records = store.frame("identity_records")[["record_key", "customer_id"]]
    chosen = records.sample(n=min(samples, len(records)), random_state=360)
    steps = [r["step_id"] for r in store.query("journey_steps")]
    counts = store.counts()["nodes"]
    store.close()
    print(json.dumps({"records": chosen.values.tolist(), "steps": steps, "nodes": counts}))


class Events:
    """New touchpoints for sampled records, numbered so that no two runs collide."""

    def __init__(self, records: list[list[str]], steps: list[str], rated: float) -> None:
        self.records, self.steps, self.rated = records, steps, rated
        self.run = time.strftime("%Y%m%d%H%M%S")
        self.count = 0
        self.rng = np.random.default_rng(360)

    def next(self) -> tuple[dict[str, Any], str]:
        """An event and the customer it is for."""
        self.count += 1
        record_key, customer_id = self.records[int(self.rng.integers(len(self.records)))]
        source, source_id = record_key.split(":", 1)
        event: dict[str, Any] = {
            "touchpoint_id": f"live-{self.run}-{self.count}",
            "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "channel": "web",
            "kind": "page_view",
            "source": source,
            "customer_id": source_id,
        }
        if self.steps and self.rng.random() < 0.7:
            event["step_id"] = self.steps[int(self.rng.integers(len(self.steps)))]
        if self.rng.random() < self.rated:
            event |= {"channel": "survey", "kind": "csat", "rating": 2, "rating_scale": 5}
        return event, customer_id


def percentiles(ms: list[float] | np.ndarray) -> dict[str, float | None]:
    return api_bench._percentiles(np.asarray(ms, dtype=float))


async def singles(server: api_bench.Server, events: Events, n: int) -> dict[str, Any]:
    """One write at a time: recordTouchpoint (GraphQL), then POST /events of one event."""
    import httpx

    headers = {"Authorization": f"Bearer {server.token}"}
    result: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as http:
        for name in ("recordTouchpoint", "events_one"):
            times, failures = [], Counter()
            for _ in range(n):
                event, _customer = events.next()
                started = time.perf_counter()
                if name == "recordTouchpoint":
                    t = {k: v for k, v in event.items() if k not in ("source", "customer_id")}
                    t |= {"customerId": event["customer_id"], "source": event["source"]}
                    t = {_camel(k): v for k, v in t.items()}
                    answer = await http.post(
                        "/graphql", json={"query": RECORD_MUTATION, "variables": {"t": t}}
                    )
                    ok = answer.status_code == 200 and not answer.json().get("errors")
                else:
                    answer = await http.post("/events", json=[event])
                    ok = answer.status_code == 200 and answer.json()["recorded"] == 1
                times.append((time.perf_counter() - started) * 1000)
                if not ok:
                    failures[f"HTTP {answer.status_code}: {answer.text[:120]}"] += 1
            result[name] = {"samples": n, "failures": dict(failures), **percentiles(times)}
    return result


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def sustained(
    server: api_bench.Server,
    events: Events,
    card_ids: list[str],
    *,
    rate: float,
    batch: int,
    seconds: float,
    card_rate: float,
) -> dict[str, Any]:
    """Events at ``rate``/s in requests of ``batch``, cards at ``card_rate``/s, open loop."""
    import httpx

    headers = {"Authorization": f"Bearer {server.token}"}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    http = httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=30)
    cards = api_bench.Client(server, card_ids, api_bench.card_query(), http)
    loop = asyncio.get_running_loop()
    acks: list[float] = []
    refusals: list[float] = []
    failures: Counter[str] = Counter()
    recorded = duplicate = rejected = 0
    fresh: list[float | None] = []
    tasks: set[asyncio.Task] = set()
    window_start = loop.time() + 0.05
    last_fresh = [window_start]

    async def post(scheduled: float, body: list[dict[str, Any]], customers: list[str]) -> None:
        nonlocal recorded, duplicate, rejected
        try:
            answer = await http.post("/events", json=body)
        except Exception as error:
            failures[type(error).__name__] += 1
            return
        took = loop.time() - scheduled
        if answer.status_code == 429:
            refusals.append(took)
            return
        if answer.status_code != 200:
            failures[f"HTTP {answer.status_code}"] += 1
            return
        acks.append(took)
        counts = answer.json()
        recorded += counts["recorded"]
        duplicate += counts["duplicate"]
        rejected += counts["rejected"]
        if loop.time() - last_fresh[0] > 5:  # is the newest touchpoint on the card?
            last_fresh[0] = loop.time()
            fresh.append(await freshness(http, body[-1]["touchpoint_id"], customers[-1]))

    requests = int(rate * seconds / batch)
    card_task = asyncio.create_task(api_bench.open_loop(cards, card_rate, seconds))
    for i in range(requests):
        scheduled = window_start + i * batch / rate
        made = [events.next() for _ in range(batch)]
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        body, customers = [e for e, _c in made], [c for _e, c in made]
        task = asyncio.create_task(post(scheduled, body, customers))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    elapsed = loop.time() - window_start
    card = await card_task
    await http.aclose()
    seen = [f for f in fresh if f is not None]
    return {
        "rate": rate,
        "batch": batch,
        "seconds": seconds,
        "requests": requests,
        "recorded": recorded,
        "duplicate": duplicate,
        "rejected": rejected,
        "recorded_per_s": recorded / elapsed,
        "refused_429": len(refusals),
        "refused_per_s": len(refusals) * batch / elapsed,
        "failures": dict(failures),
        "ack": percentiles(np.array(acks) * 1000),
        "refusal": percentiles(np.array(refusals) * 1000),
        "freshness_checks": len(fresh),
        "freshness_missing": len(fresh) - len(seen),
        "freshness_max_s": max(seen) if seen else None,
        "card": card,
    }


async def freshness(http: Any, touchpoint_id: str, customer_id: str) -> float | None:
    """Seconds until ``touchpoint_id`` (acknowledged) is on its customer's card, None if it is
    not there within 5 s."""
    query = (
        "query($id: ID!) { customer(id: $id) { touchpoints(first: 20) { edges { node { id } } } } }"
    )
    started = time.perf_counter()
    while time.perf_counter() - started < 5:
        answer = await http.post(
            "/graphql", json={"query": query, "variables": {"id": customer_id}}
        )
        data = (answer.json().get("data") or {}).get("customer") or {}
        ids = [e["node"]["id"] for e in (data.get("touchpoints") or {}).get("edges", [])]
        if touchpoint_id in ids:
            return time.perf_counter() - started
        await asyncio.sleep(0.05)
    return None


def duckdb_peer(bundle: Path, events: Events, rate: float, batch: int, seconds: float) -> dict:
    """The same event rows into DuckDB (a file with the bundle's touchpoints, keyed), in the
    same batches, as fast as it takes them: rows/s."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="realtime-peer-", dir="/work/scratch-live") as folder:
        con = duckdb.connect(str(Path(folder) / "peer.duckdb"))
        started = time.perf_counter()
        con.execute(
            'CREATE TABLE touchpoints (touchpoint_id VARCHAR PRIMARY KEY, "at" TIMESTAMP, '
            "channel VARCHAR, kind VARCHAR, source VARCHAR, customer_id VARCHAR, "
            "step_id VARCHAR, rating DOUBLE)"
        )
        con.execute(
            "INSERT INTO touchpoints SELECT touchpoint_id, CAST(replace(\"at\", 'Z', '') AS "
            "TIMESTAMP), channel, kind, source, customer_id, step_id, CAST(rating AS DOUBLE) "
            "FROM read_csv(?, all_varchar = true)",
            [str(bundle / "touchpoints.csv")],
        )
        setup = time.perf_counter() - started
        total = int(rate * seconds)
        rows = []
        for _ in range(total):
            e, _c = events.next()
            rows.append(
                (
                    e["touchpoint_id"],
                    e["at"].replace("Z", ""),
                    e["channel"],
                    e["kind"],
                    e["source"],
                    e["customer_id"],
                    e.get("step_id"),
                    e.get("rating"),
                )
            )
        started = time.perf_counter()
        for i in range(0, total, batch):
            con.execute("BEGIN")
            con.executemany(
                "INSERT INTO touchpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows[i : i + batch],
            )
            con.execute("COMMIT")
        took = time.perf_counter() - started
        con.close()
    return {"setup_seconds": setup, "rows": total, "rows_per_s": total / took, "batch": batch}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--store", type=Path, required=True, help="serve this graph (it is written)"
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="touchpoints per second")
    parser.add_argument("--batch", type=int, default=100, help="events per POST /events")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--card-rate", type=float, default=20.0)
    parser.add_argument("--overload-seconds", type=float, default=30.0)
    parser.add_argument("--singles", type=int, default=30)
    parser.add_argument("--rated", type=float, default=0.0, help="share of events with a rating")
    parser.add_argument("--records", type=int, default=20_000, help="customers to write for")
    parser.add_argument("--peer-bundle", type=Path, help="the bundle, for the DuckDB peer")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--sample-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sample_child:
        sample_child(args.sample_child, args.records)
        return 0
    machine = load_bench.machine()
    print("graph360 live events benchmark")
    print(
        f"machine   {machine['cpu']}; {machine['cores']} cores; "
        f"{machine['memory_bytes'] / 1024**3:.1f} GiB; Python {machine['python']}; "
        f"ladybug {machine['versions'].get('ladybug')}"
    )
    child = subprocess.run(
        [
            *(sys.executable, __file__, "--store", str(args.store)),
            *("--sample-child", str(args.store), "--records", str(args.records)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    sample = json.loads(child.stdout.strip().splitlines()[-1])
    nodes = sample["nodes"]
    print(f"graph     {nodes['Customer']:,} customers, {nodes['Touchpoint']:,} touchpoints")
    events = Events(sample["records"], sample["steps"], args.rated)
    card_ids = sorted({customer for _, customer in sample["records"]})
    results: dict[str, Any] = {"machine": machine, "nodes": nodes, "args": vars(args) | {}}
    with tempfile.TemporaryDirectory(prefix="realtime-bench-") as folder:
        server = api_bench.Server(args.store, Path(folder))
        print(f"server    ready in {server.ready_seconds:.1f} s")
        try:
            results["singles"] = asyncio.run(singles(server, events, args.singles))
            for name, r in results["singles"].items():
                print(
                    f"single    {name:17} p50 {r['p50_ms']:8.1f} ms  p99 {r['p99_ms']:8.1f} ms"
                    f"  (target p99 <= {TARGETS['single_record_p99_ms']:.0f} ms)"
                    f"  failures {sum(r['failures'].values())}"
                )
            for label, factor, seconds in (
                ("sustained", 1, args.seconds),
                ("overload", 2, args.overload_seconds),
            ):
                r = asyncio.run(
                    sustained(
                        server,
                        events,
                        card_ids,
                        rate=args.rate * factor,
                        batch=args.batch,
                        seconds=seconds,
                        card_rate=args.card_rate,
                    )
                )
                results[label] = r
                card_target = TARGETS[
                    "card_p99_ms_under_load" if factor == 1 else "overload_card_p99_ms"
                ]
                print(
                    f"{label:9} {r['rate']:.0f}/s asked: recorded {r['recorded_per_s']:.0f}/s "
                    f"(target >= {TARGETS['sustained_touchpoints_per_s']:.0f}/s), ack p50 "
                    f"{r['ack']['p50_ms']} p99 {r['ack']['p99_ms']} ms; 429 {r['refused_429']} "
                    f"(p99 {r['refusal']['p99_ms']} ms); failures {r['failures']}"
                )
                c = r["card"]
                print(
                    f"          cards at {c['rate']:.0f}/s: p50 {c['p50_ms']:.1f} p99 "
                    f"{c['p99_ms']:.1f} ms (target <= {card_target:.0f}), failures "
                    f"{c['failures']}; freshness max {r['freshness_max_s']} s over "
                    f"{r['freshness_checks']} checks, {r['freshness_missing']} missing "
                    f"(target <= {TARGETS['freshness_s']:.0f} s)"
                )
            results["server_memory"] = server.memory()
        finally:
            server.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"realtime-{time.strftime('%Y%m%d-%H%M%S')}.json"
    results["args"] = {k: str(v) for k, v in vars(args).items()}
    path.write_text(json.dumps(results, indent=2, default=str))
    if args.peer_bundle:
        peer = duckdb_peer(args.peer_bundle, events, args.rate, args.batch, args.seconds)
        results["peer_duckdb"] = peer
        ours = results["sustained"]["recorded_per_s"]
        print(
            f"peer      DuckDB keyed insert of the same rows: {peer['rows_per_s']:.0f} rows/s "
            f"(graph360 {ours:.0f}/s, asked {args.rate:.0f}/s: "
            f"ratio {ours / peer['rows_per_s']:.3f})"
        )
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"figures   {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
