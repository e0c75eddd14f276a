#!/usr/bin/env python
"""API benchmark: the agent's 360 card over HTTP, open loop at a fixed rate, on a big graph.

    python bench/api.py                               # the 1M-customer analytics graph
    python bench/api.py --customers 100000 --touchpoints 1000000
    python bench/api.py --store /tmp/other.lbug       # serve this file as it is (read-write!)
    python bench/api.py --profile                     # also py-spy the server at 50 requests/s

Target (the API issue): the agent's card query p99 under 50 ms at a sustained 50 requests/s on a
2-core machine, over HTTP on loopback against the 1M-customer bundle.

The server opens its store read-write (which takes the file's lock), so by default the analytics
benchmark's database (``bench/analytics.py`` builds and caches it) is copied to ``--work`` and
the copy is served; the original is never opened for writing. ``--reuse`` serves an existing
copy. Before the server starts, a child process opens the copy read-only, counts it, samples
``--ids`` customer ids and times the card function in-process (the store's share of a card).

Then ``graph360 serve`` runs as a subprocess (uvicorn, one process) on a free loopback port with
a fresh key file and an ``agent`` key, and this process is the client: httpx with keep-alive.

1. client overhead: ``/healthz`` at the card rate (what HTTP, uvicorn and this client cost);
2. the card at ``--rate`` (50/s) for ``--seconds`` after a warm-up, **open loop**: requests are
   sent on a fixed schedule whatever the server does, and each latency is measured from the
   request's *scheduled* time, so queueing counts. (A closed loop, where a client waits for an
   answer before asking again, slows down with the server and hides the queue.)
3. saturation: the same at rising rates until p99 exceeds ``--p99-limit`` (250 ms) or a request
   fails; the highest rate that held is the saturation throughput;
4. closed loop with 1, 4 and 16 concurrent clients: the most the server completes per second;
   then twice that rate, open loop (`--overload-seconds`): the accepted cards' p99 (target 250 ms)
   and how many were refused (503 + Retry-After, admission control) and how fast;
5. sections: each part of the card asked alone by one client, to see which part costs most.

Every response must be a 200 without ``errors`` and with the customer: anything else is a
failure and is counted, never skipped. The machine is shared, so each measure records the load
average and how much CPU other processes took meanwhile (``others``, in cores); the main run is
repeated once when others took more than half a core.

The figures go to the terminal and to ``<out>/api-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import analytics as analytics_bench
import load as load_bench

HERE = Path(__file__).resolve().parent
TARGET_RATE = 50.0
#: Issue 13: at twice the saturation rate, the accepted cards keep p99 <= 250 ms.
OVERLOAD_P99_MS = 250.0
TARGET_P99_MS = 50.0
TICKS = os.sysconf("SC_CLK_TCK")

CARD_FIELDS = """
    id name segment lifecycleStage email phone age
    location { city region country }
    value { current potential atRisk }
    influence { score rank reach }
"""
SECTIONS = {
    "flags": "flags { id kind severity status reason raisedAt }",
    "actions": 'actions(status: "outstanding") { id kind status dueAt department reason }',
    "accounts": "accounts { id name kind status plan department { id name } }",
    "journeys": "journeys { journeyId journey stepId step position at owners unowned }",
    "relationships": (
        "relationships(first: 5) { totalCount edges { node { direction kind weight "
        "customer { id name segment } } } }"
    ),
    "touchpoints": (
        "touchpoints(first: 10) { edges { node { id at channel kind outcome step campaign "
        "department } } pageInfo { hasNextPage endCursor } }"
    ),
    "offers": "nextBestOffers(first: 3) { productId name category score reason }",
}


def card_query(sections: list[str] | None = None) -> str:
    """The agent's card: the profile and the given sections (every section by default)."""
    chosen = SECTIONS if sections is None else {k: SECTIONS[k] for k in sections}
    body = CARD_FIELDS + "\n".join(f"    {text}" for text in chosen.values())
    return f"query Card($id: ID!) {{\n  customer(id: $id) {{{body}\n  }}\n}}"


# --- the database ------------------------------------------------------------------------------


def sample_child(db: Path, samples: int, cards: int) -> None:
    """Counts, ``samples`` customer ids and the card function's time, from a read-only open."""
    from graph360.analytics.card import customer_card
    from graph360.analytics.offers import offer_model
    from graph360.privacy import OPERATOR
    from graph360.store import open_store

    store = open_store(str(db), read_only=True)
    nodes = store.counts()["nodes"]
    ids = store.frame("identity_records")["customer_id"].drop_duplicates()
    chosen = ids.sample(n=min(samples, len(ids)), random_state=360).tolist()
    started = time.perf_counter()
    offer_model(store)
    model_seconds = time.perf_counter() - started
    times = []
    for customer_id in chosen[:cards]:
        started = time.perf_counter()
        customer_card(store, customer_id, audience=OPERATOR)
        times.append(time.perf_counter() - started)
    store.close()
    ms = np.array(times) * 1000
    print(
        json.dumps(
            {
                "nodes": nodes,
                "ids": chosen,
                "card_function": {
                    "samples": len(ms),
                    **_percentiles(ms),
                    "offer_model_seconds": model_seconds,
                },
            }
        )
    )


def prepare_database(args: argparse.Namespace) -> Path:
    """The database file to serve: ``--store`` as it is, else a fresh copy of the source."""
    if args.store:
        if not args.store.exists():
            sys.exit(f"{args.store} does not exist")
        return args.store
    source = args.source or analytics_bench.ensure_database(
        args.out, args.customers, args.touchpoints, args.seed
    )
    if args.work.resolve() == source.resolve():
        sys.exit("--work must not be the source: the server opens it read-write")
    if args.reuse and args.work.exists():
        print(f"serving the existing copy {args.work}")
        return args.work
    free = shutil.disk_usage(args.work.parent).free
    if free < source.stat().st_size * 1.2:
        sys.exit(f"{args.work.parent} has {free / 1024**3:.1f} GiB free: too little for a copy")
    started = time.perf_counter()
    args.work.unlink(missing_ok=True)
    Path(str(args.work) + ".wal").unlink(missing_ok=True)
    shutil.copyfile(source, args.work)
    print(f"copied {source.name} to {args.work} in {time.perf_counter() - started:.1f} s")
    return args.work


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graph360_command() -> list[str]:
    script = Path(sys.executable).parent / "graph360"
    return [str(script)] if script.exists() else [sys.executable, "-m", "graph360.cli"]


class Server:
    """``graph360 serve`` in a subprocess with a fresh key file and one agent key."""

    def __init__(self, db: Path, folder: Path, priority: int = 0) -> None:
        self.keys = folder / "keys.json"
        made = subprocess.run(
            [
                *graph360_command(),
                *("keys", "create", "--name", "bench", "--role", "agent"),
                "--keys",
                str(self.keys),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        self.token = made.stdout.strip().splitlines()[-1]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self._log = self.log.open("w")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [
                *graph360_command(),
                "serve",
                "--store",
                str(db),
                "--keys",
                str(self.keys),
                "--port",
                str(self.port),
                # One key sends every card here, at up to saturation and twice it: the
                # per-key rate limit would refuse what the bench means to measure.
                "--rate-per-key",
                "100000",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.nice(-priority)) if priority else None,
        )
        self.ready_seconds = self._wait_ready(started)

    def _wait_ready(self, started: float, timeout: float = 300) -> float:
        import httpx

        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: see {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return time.perf_counter() - started
            time.sleep(0.5)
        raise RuntimeError(f"the server was not ready in {timeout:.0f} s: see {self.log}")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def memory(self) -> dict[str, int]:
        found = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line.split(":")[0]] = int(line.split()[1]) * 1024
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# --- the machine's other load --------------------------------------------------------------------


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / TICKS, total / TICKS


class Watch:
    """Wall time, server and client CPU, and the CPU every other process took, over a measure."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def __enter__(self) -> Watch:
        self.load_before = os.getloadavg()[0]
        self.busy, _ = machine_busy()
        self.server_cpu = self.server.cpu_seconds()
        self.client_cpu = time.process_time()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.started
        server = self.server.cpu_seconds() - self.server_cpu
        client = time.process_time() - self.client_cpu
        busy = machine_busy()[0] - self.busy
        self.figures = {
            "wall_seconds": self.wall,
            "server_cpu_seconds": server,
            "client_cpu_seconds": client,
            "others_cores": max(0.0, (busy - server - client) / self.wall),
            "load_before": self.load_before,
            "load_after": os.getloadavg()[0],
        }


# --- the load generators --------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _percentiles(ms: np.ndarray) -> dict[str, float | None]:
    if not len(ms):
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p90_ms": float(np.percentile(ms, 90)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
    }


class Client:
    """One keep-alive httpx client and the check every card answer must pass."""

    def __init__(self, server: Server, ids: list[str], query: str, http: Any = None) -> None:
        self.server = server
        self.http = http or self._connect()
        self.ids = ids
        self.query = query
        self.next = 0

    def _connect(self) -> Any:
        import httpx

        return httpx.AsyncClient(
            base_url=self.server.url,
            headers={"Authorization": f"Bearer {self.server.token}"},
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=256),
            timeout=30.0,
        )

    async def reconnect(self) -> None:
        """A new pool: one left with the hundreds of connections an overload opened slows the
        client (measured: 30/s after a run-away 50/s run, p90 1.1 s, the client at 0.3 cores)."""
        await self.http.aclose()
        self.http = self._connect()

    async def card(self) -> str | None:
        """Ask one card; None when it is right, else what was wrong."""
        customer_id = self.ids[self.next % len(self.ids)]
        self.next += 1
        body = {"query": self.query, "variables": {"id": customer_id}}
        try:
            response = await self.http.post("/graphql", json=body)
        except Exception as error:  # a timeout or a dropped connection is a failure
            return type(error).__name__
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        answer = response.json()
        if answer.get("errors"):
            return "errors: " + answer["errors"][0].get("message", "?")[:80]
        if not (answer.get("data") or {}).get("customer"):
            return "no customer"
        return None

    async def healthz(self) -> str | None:
        try:
            response = await self.http.get("/healthz")
        except Exception as error:
            return type(error).__name__
        return None if response.status_code == 200 else f"HTTP {response.status_code}"


async def open_loop(
    client: Client, rate: float, seconds: float, *, health: bool = False, shed: int = 0
) -> dict[str, Any]:
    shed = shed or int(max(100, rate * 5))
    """Send at ``rate`` per second for ``seconds`` on a fixed schedule; each latency runs from
    the request's scheduled time. With ``shed``, stop sending while that many are in flight
    (an overloaded run is cut short instead of queueing for minutes: by default five seconds'
    worth). Requests never sent are failures."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    lags: list[float] = []
    failures: Counter[str] = Counter()
    tasks: set[asyncio.Task] = set()
    ask = client.healthz if health else client.card

    accepted: list[float] = []  # answered in full
    refused: list[float] = []  # refused by admission control (503)

    async def one(scheduled: float) -> None:
        lags.append(loop.time() - scheduled)
        problem = await ask()
        latencies.append(loop.time() - scheduled)
        (refused if problem == "HTTP 503" else accepted if not problem else []).append(
            latencies[-1]
        )
        if problem:
            failures[problem] += 1

    total = int(rate * seconds)
    start = loop.time() + 0.05
    sent = 0
    cut_at = None
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if shed and len(tasks) >= shed:
            cut_at = scheduled - start
            break
        task = asyncio.create_task(one(scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        sent += 1
    if tasks:
        await asyncio.gather(*tasks)
    if sent < total:
        failures[f"not sent: {shed} already in flight"] += total - sent
    ms = np.array(latencies) * 1000
    return {
        "rate": rate,
        "seconds": seconds,
        "scheduled": total,
        "sent": sent,
        "completed": len(latencies),
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
        "cut_short_at_seconds": cut_at,
        "achieved_rate": len(latencies) / (loop.time() - start),
        **_percentiles(ms),
        "send_lag_p99_ms": float(np.percentile(np.array(lags) * 1000, 99)) if lags else None,
        "accepted": {"count": len(accepted), **_percentiles(np.array(accepted) * 1000)},
        "refused_503": {"count": len(refused), **_percentiles(np.array(refused) * 1000)},
    }


async def closed_loop(client: Client, concurrency: int, seconds: float) -> dict[str, Any]:
    """``concurrency`` clients each asking again as soon as answered, for ``seconds``."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    start = loop.time()
    deadline = start + seconds

    async def worker() -> None:
        while loop.time() < deadline:
            asked = loop.time()
            problem = await client.card()
            latencies.append(loop.time() - asked)
            if problem:
                failures[problem] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    ms = np.array(latencies) * 1000
    return {
        "concurrency": concurrency,
        "completed": len(latencies),
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
        # cards answered in full: a refusal (503, admission control) is not a card
        "throughput": (len(latencies) - sum(failures.values())) / (loop.time() - start),
        **_percentiles(ms),
    }


async def drain(client: Client, limit: float = 120) -> float:
    """Wait until the server answers a card within 100 ms again: work a client gave up on is
    still done by the server, and would weigh on the next measure. (/healthz is not enough: it
    answers on the event loop while the store threads are still busy.)"""
    await client.reconnect()
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < limit:
        asked = loop.time()
        await client.card()
        if loop.time() - asked < 0.1:
            return loop.time() - started
        await asyncio.sleep(0.5)
    return loop.time() - started


def _row(label: str, r: dict[str, Any], watch: dict[str, Any]) -> str:
    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f}"

    wall = watch["wall_seconds"]
    cut = f"  cut at {r['cut_short_at_seconds']:.0f} s" if r.get("cut_short_at_seconds") else ""
    return (
        f"{label:<16}{r['completed']:>7}{r['failures']:>6}{f(r['p50_ms']):>8}{f(r['p90_ms']):>8}"
        f"{f(r['p99_ms']):>8}{f(r['max_ms']):>9}"
        f"{watch['server_cpu_seconds'] / wall:>8.2f}{watch['client_cpu_seconds'] / wall:>7.2f}"
        f"{watch['others_cores']:>7.2f}"
        f"{watch['load_before']:>6.1f}{cut}"
    )


HEADER = (
    f"{'':<16}{'done':>7}{'fail':>6}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>9}"
    f"{'server':>8}{'client':>7}{'others':>7}{'load':>6}"
)
UNITS = "(server, client, others: CPU cores busy on average; load: 1-minute load average before)"


async def run_all(args: argparse.Namespace, server: Server, ids: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    client = Client(server, ids, card_query())

    async def measured(label: str, coroutine: Any) -> dict[str, Any]:
        await drain(client)
        with Watch(server) as watch:
            found = await coroutine
        found["watch"] = watch.figures
        print(_row(label, found, watch.figures), flush=True)
        return found

    print(
        f"\nwarm-up: {args.warmup:g} s of cards at {args.rate / 5:g}/s (not counted) …", flush=True
    )
    for _ in range(5):  # the first card builds the offer model: ask a few one by one
        await client.card()
    results["warmup"] = await open_loop(client, args.rate / 5, args.warmup)

    print(f"\nopen loop: latency from each request's scheduled send time {UNITS}")
    print(HEADER)
    results["healthz"] = await measured(
        f"/healthz {args.rate:g}/s", open_loop(client, args.rate, 15, health=True)
    )
    runs = []
    for attempt in range(2):
        run = await measured(f"card {args.rate:g}/s", open_loop(client, args.rate, args.seconds))
        runs.append(run)
        if run["watch"]["others_cores"] <= 0.5 or attempt:
            break
        print(f"  others took {run['watch']['others_cores']:.2f} cores: measuring again")
    results["target_runs"] = runs
    results["target"] = min(runs, key=lambda r: r["watch"]["others_cores"])

    steps = []
    held = None
    for rate in args.steps:
        step = await measured(
            f"card {rate:g}/s",
            open_loop(client, rate, args.step_seconds),
        )
        steps.append(step)
        ok = (
            not step["failures"]
            and step["cut_short_at_seconds"] is None
            and step["p99_ms"] is not None
            and step["p99_ms"] <= args.p99_limit
        )
        if not ok:
            break
        held = rate
        await asyncio.sleep(2)
    results["steps"] = steps
    results["saturation_rate"] = held
    results["healthz_high"] = await measured(
        "/healthz 300/s", open_loop(client, 300, 10, health=True)
    )

    print(f"\nclosed loop (latency from send; throughput = answers per second) {UNITS}")
    print(f"{HEADER}{'per s':>8}")
    closed = []
    for n in args.concurrency:
        await drain(client)
        with Watch(server) as watch:
            found = await closed_loop(client, n, args.closed_seconds)
        found["watch"] = watch.figures
        closed.append(found)
        print(f"{_row(f'{n} clients', found, watch.figures)}{found['throughput']:>8.1f}")
    results["closed_loop"] = closed

    # Twice the saturation rate (the closed loop's best): the accepted cards must keep their
    # latency (target p99 <= 250 ms) and the excess be refused fast (503 + Retry-After).
    rate = 2 * max(found["throughput"] for found in closed)
    await drain(client)
    with Watch(server) as watch:
        over = await open_loop(client, rate, args.overload_seconds)
    over["watch"] = watch.figures
    results["overload"] = over
    ok, no = over["accepted"], over["refused_503"]
    print(
        f"\noverload  {rate:.0f} cards/s asked (2x saturation) for {args.overload_seconds:g} s: "
        f"{ok['count']} answered p50 {_ms(ok['p50_ms'])} p99 {_ms(ok['p99_ms'])} ms "
        f"(target p99 <= {OVERLOAD_P99_MS:g}); {no['count']} refused 503 p99 "
        f"{_ms(no['p99_ms'])} ms; other failures "
        f"{over['failures'] - no['count']} {over['failure_kinds']}",
        flush=True,
    )

    print("\nsections: the profile plus one part, one client, in sequence")
    sections = {}
    for name in ["profile", *SECTIONS]:
        query = card_query([] if name == "profile" else [name])
        part = Client(server, ids, query, http=client.http)
        found = await closed_loop(part, 1, args.section_seconds)
        sections[name] = found
        print(
            f"  {name:<15} p50 {found['p50_ms']:6.1f} ms  p99 {found['p99_ms']:6.1f} ms  "
            f"({found['completed']} asked, {found['failures']} failed)",
            flush=True,
        )
    results["sections"] = sections
    await client.http.aclose()
    return results


# --- profiling ------------------------------------------------------------------------------------


def py_spy() -> str | None:
    for candidate in (shutil.which("py-spy"), "/tmp/pyspy/bin/py-spy"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


#: The modules of graph360/api/ whose frames are GraphQL resolvers (graph360.api.schema merges
#: their fields).
RESOLVER_MODULES = ("card", "card_types", "customers", "analytics_queries", "steps")
RESOLVER_MODULES += ("recording", "follow_ups", "merging", "matching", "personal_data")


def classify(stack: str) -> str:
    """Where one sampled stack (py-spy's collapsed format) was, in a few words."""
    if "concurrent/futures/thread.py" in stack:
        if "execute (ladybug" in stack or "_execute (graph360/store" in stack:
            return "store thread: LadybugDB query"
        if "_plain_deep" in stack or "get_all" in stack or "get_as_arrow" in stack:
            return "store thread: reading rows into Python"
        if "offers.py" in stack:
            return "store thread: next best offers (Python)"
        return "store thread: other Python"
    if "strawberry/" in stack or "graphql/" in stack:
        resolvers = any(f"graph360/api/{name}.py" in stack for name in RESOLVER_MODULES)
        if resolvers and "strawberry/" not in stack.split(";")[-1]:
            return "event loop: GraphQL resolvers (graph360)"
        return "event loop: GraphQL execution (strawberry, graphql-core)"
    if "h11/" in stack or "uvicorn/" in stack or "starlette/" in stack or "fastapi/" in stack:
        return "event loop: HTTP (uvicorn, h11, starlette)"
    if "asyncio/" in stack or "selectors.py" in stack:
        return "event loop: asyncio"
    return "other"


async def profile(args: argparse.Namespace, server: Server, ids: list[str]) -> dict[str, Any]:
    """py-spy the server (every thread, active samples only) during ``--rate`` cards."""
    spy = py_spy()
    if spy is None:
        return {"error": "py-spy not found (pip install py-spy)"}
    raw = Path(tempfile.gettempdir()) / f"api-bench-pyspy-{os.getpid()}.txt"
    seconds = 30
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(server.process.pid),
            "--threads",
            "--rate",
            "200",
            "--duration",
            str(seconds),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = Client(server, ids, card_query())
    await asyncio.sleep(1)
    found = await open_loop(client, args.rate, seconds - 3)
    await client.http.aclose()
    recorder.wait(60)
    if not raw.exists():
        return {"error": "py-spy wrote nothing (is ptrace allowed?)"}
    shares: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            shares[classify(stack)] += int(count)
    total = sum(shares.values())
    window = seconds * 200
    print(f"\nwhere the server's time goes (py-spy, {args.rate:g} cards/s, {total} samples)")
    print(f"  card p50 {found['p50_ms']:.1f} ms, p99 {found['p99_ms']:.1f} ms while sampled")
    for name, n in shares.most_common():
        print(f"  {name:<58}{n / total:>6.1%}  ({n / window:.2f} of a core's time)")
    return {
        "samples": total,
        "shares": {k: v / total for k, v in shares.items()},
        "cores": {k: v / window for k, v in shares.items()},
        "run": found,
        "raw": str(raw),
    }


# --- main -----------------------------------------------------------------------------------------


def _run_child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"child failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="serve this database as it is (no copy)")
    parser.add_argument("--source", type=Path, help="copy this database (default: analytics')")
    parser.add_argument("--work", type=Path, default=Path("/tmp/api-bench.lbug"))
    parser.add_argument("--reuse", action="store_true", help="serve an existing --work copy")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--ids", type=int, default=5000, help="customers to ask for")
    parser.add_argument("--cards", type=int, default=200, help="in-process card calls")
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument(
        "--steps", type=float, nargs="+", default=[10, 20, 25, 30, 40, 50, 75, 100, 150]
    )
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument("--p99-limit", type=float, default=250.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--closed-seconds", type=float, default=15)
    parser.add_argument("--section-seconds", type=float, default=5)
    parser.add_argument("--overload-seconds", type=float, default=20)
    parser.add_argument("--profile", action="store_true", help="py-spy the server at --rate")
    parser.add_argument(
        "--priority",
        type=int,
        default=0,
        help="run the server and this client at nice -N (root): on a shared machine, the "
        "others' work then yields the CPU, as on a machine of the API's own",
    )
    parser.add_argument("--sample-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sample_child:
        sample_child(args.sample_child, args.ids, args.cards)
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    db = prepare_database(args)
    machine = load_bench.machine()
    print("graph360 API benchmark: the agent's 360 card over HTTP")
    print(
        f"machine   {machine['cpu']}; {machine['cores']} cores; "
        f"{machine['memory_bytes'] / 1024**3:.1f} GiB; Python {machine['python']}; "
        f"ladybug {machine['versions'].get('ladybug')}"
    )
    sampled = _run_child(
        ["--sample-child", str(db), "--ids", str(args.ids), "--cards", str(args.cards)]
    )
    nodes, ids, function = sampled["nodes"], sampled["ids"], sampled["card_function"]
    print(
        f"graph     {nodes['Customer']:,} customers, {nodes['Touchpoint']:,} touchpoints, "
        f"{nodes['Flag']:,} flags, {nodes['Action']:,} actions, {nodes['Account']:,} accounts "
        f"({db}, {db.stat().st_size / 1024**3:.1f} GiB)"
    )
    print(
        f"card fn   in-process, read-only, {function['samples']} customers: "
        f"p50 {function['p50_ms']:.1f} ms, p99 {function['p99_ms']:.1f} ms "
        f"(the store's share of a card, no GraphQL, no HTTP)"
    )
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="api-bench-") as folder:
        if args.priority:  # this client too, so that it keeps its schedule
            os.nice(-args.priority)
        server = Server(db, Path(folder), args.priority)
        print(
            f"server    graph360 serve on {server.url} (pid {server.process.pid}), ready in "
            f"{server.ready_seconds:.1f} s; nice {-args.priority}; client: httpx "
            f"{_version('httpx')}, keep-alive, {len(ids):,} customers asked in turn"
        )
        try:
            results = asyncio.run(run_all(args, server, ids))
            if args.profile:
                results["profile"] = asyncio.run(profile(args, server, ids))
            results["server_memory"] = server.memory()
        finally:
            server.stop()
            server_log = server.log.read_text()[-4000:]
    load_after = os.getloadavg()

    target = results["target"]
    met = not target["failures"] and target["p99_ms"] < TARGET_P99_MS
    print(
        f"\ntarget    p99 < {TARGET_P99_MS:g} ms at {args.rate:g}/s open loop: p50 "
        f"{target['p50_ms']:.1f} ms, p99 {target['p99_ms']:.1f} ms, {target['failures']} "
        f"failures of {target['scheduled']} scheduled: {'ok' if met else 'MISSED'}"
    )
    held = results["saturation_rate"]
    best = max(results["closed_loop"], key=lambda r: r["throughput"])
    print(
        f"saturation the highest open-loop rate with p99 <= {args.p99_limit:g} ms and no "
        f"failure: {held if held is not None else 'none of'} {args.steps if held is None else ''}"
        f"/s; closed loop at most {best['throughput']:.1f} cards/s ({best['concurrency']} clients)"
    )
    print(
        f"machine   load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
        f"({machine['cores']} cores; other engineers' work shares them)"
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = args.out / f"api-{stamp}.json"
    report = {
        "machine": machine,
        "code": load_bench.code_version(),
        "database": {"path": str(db), "bytes": db.stat().st_size, "nodes": nodes},
        "card_function": function,
        "query": card_query(),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "load_average": {"before": load_before, "after": load_after},
        "results": results,
        "server_log_tail": server_log,
    }
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nfigures: {path}")
    return 0


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
