"""The analytics inside a running server (``bench/analytics.py --only server``).

Serves a copy of the graph (and of its facts projection) with ``graph360 serve`` and, over
HTTP on loopback:

1. **asking again**: each question once (the first answer: the worker computes it; a COMPUTING
   refusal is followed by a retry after its ``retryAfter``, so the time is until the answer),
   then the same question again, then the same analytic with other parameters (another window,
   grouping, period, journey, channel) — the issue's target: <= 1 s once the first is in;
2. **a card's latency while an analytic runs**: the agent's card at a fixed rate (open loop,
   bench/api.py), first alone, then while a new analytic (a question not asked before) is
   computed in the server's analytics worker; p50 / p99 of each, and the ratio.

The server opens its store read-write, so the graph given is copied to ``<work>`` first and the
copy is served; the original is never opened for writing.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import api as api_bench

TARGET_AGAIN_SECONDS = 1.0

#: (label, GraphQL document): first questions, then the same analytic with other parameters.
QUESTIONS = [
    ("overlap by department", "{ overlap { by units { unit reached } asOf { graphVersion } } }"),
    ("  same again", "{ overlap { by units { unit reached } asOf { graphVersion } } }"),
    (
        "  window 12 h",
        "{ overlap(windowHours: 12) { by units { unit reached } asOf { graphVersion } } }",
    ),
    ("  by division", "{ overlap(by: DIVISION) { by units { unit reached } } }"),
    (
        "  since 2026-06-01",
        '{ overlap(since: "2026-06-01T00:00:00Z") { by units { unit reached } } }',
    ),
    ("collisions 24 h", "{ collisions(windowHours: 24) { customers contacts } }"),
    ("funnel JOURNEY", '{ funnel(journey: "JOURNEY") { customers } }'),
    (
        "  since 2026-06-01",
        '{ funnel(journey: "JOURNEY", since: "2026-06-01T00:00:00Z") { customers } }',
    ),
    ("  another journey", '{ funnel(journey: "OTHER") { customers } }'),
    ("ownership audit", "{ ownershipAudit { summary { steps unowned } } }"),
    ("engagement", "{ engagement { channels { channel responseRate } } }"),
    ("  email only", '{ engagement(channels: ["email"]) { channels { channel } } }'),
]
#: Computed while the cards are measured: asked by nobody before.
DURING = "{ overlap(by: DIVISION, windowHours: 6) { by units { unit reached } } }"


class AnalystServer(api_bench.Server):
    """bench/api.py's server, with an analyst key beside the agent's."""

    def __init__(self, db: Path, folder: Path) -> None:
        keys = folder / "keys.json"
        keys.unlink(missing_ok=True)  # fresh keys each run
        made = subprocess.run(
            [
                *api_bench.graph360_command(),
                *("keys", "create", "--name", "bench-analyst", "--role", "analyst"),
                *("--keys", str(keys)),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        self.analyst = made.stdout.strip().splitlines()[-1]
        super().__init__(db, folder)


async def ask(http: Any, token: str, query: str, limit: float = 600) -> dict[str, Any]:
    """Seconds until ``query`` is answered (retrying after each COMPUTING as told)."""
    started = time.perf_counter()
    tries = 0
    while time.perf_counter() - started < limit:
        tries += 1
        response = await http.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        body = response.json()
        errors = body.get("errors") or []
        if not errors:
            return {"seconds": time.perf_counter() - started, "tries": tries}
        code = (errors[0].get("extensions") or {}).get("code")
        if code != "COMPUTING":
            return {"error": errors[0].get("message"), "seconds": time.perf_counter() - started}
        await asyncio.sleep(min(float(errors[0]["extensions"]["retryAfter"]), 2.0))
    return {"error": "no answer", "seconds": time.perf_counter() - started}


async def _measure(server: AnalystServer, ids: list[str], rate: float, seconds: float) -> dict:
    import httpx

    results: dict[str, Any] = {"again": {}}
    async with httpx.AsyncClient(base_url=server.url, timeout=60.0) as http:
        print(f"\nanalytics in the server (target: asked again <= {TARGET_AGAIN_SECONDS:g} s)")
        steps = await http.post(
            "/graphql",
            json={"query": "{ journeySteps { journeyId } }"},
            headers={"Authorization": f"Bearer {server.analyst}"},
        )
        journeys = sorted({s["journeyId"] for s in steps.json()["data"]["journeySteps"]})
        first, other = journeys[0], journeys[-1]
        for label, text in QUESTIONS:
            label = label.replace("JOURNEY", first)
            query = text.replace("JOURNEY", first).replace("OTHER", other)
            figures = results["again"][label] = await ask(http, server.analyst, query)

            again = label.startswith("  ")
            verdict = ""
            if again and "error" not in figures:
                ok = figures["seconds"] <= TARGET_AGAIN_SECONDS
                verdict = f"<= {TARGET_AGAIN_SECONDS:g} s: {'ok' if ok else 'MISSED'}"
            shown = figures.get("error") or f"{figures['seconds']:.2f} s"
            print(f"  {label:<28}{shown:>10}  {verdict}")
        client = api_bench.Client(server, ids, api_bench.card_query())
        await api_bench.open_loop(client, rate, 5)  # warm-up
        alone = results["card alone"] = await api_bench.open_loop(client, rate, seconds)
        during_task = asyncio.create_task(ask(http, server.analyst, DURING))
        during = results["card during"] = await api_bench.open_loop(client, rate, seconds)
        computed = results["during analytic"] = await during_task
        await client.http.aclose()
    ratio = during["p99_ms"] / alone["p99_ms"] if alone["p99_ms"] else None
    results["p99_ratio"] = ratio
    results["load_average"] = os.getloadavg()
    print(
        f"  card at {rate:g}/s, {seconds:g} s: alone p50 {alone['p50_ms']:.1f} ms, p99 "
        f"{alone['p99_ms']:.1f} ms ({alone['failures']} failures); while an overlap is computed "
        f"p50 {during['p50_ms']:.1f} ms, p99 {during['p99_ms']:.1f} ms "
        f"({during['failures']} failures): p99 x{ratio:.2f}; the overlap took "
        f"{computed['seconds']:.1f} s (answered after the cards: "
        f"{computed['seconds'] > seconds}); machine load average {os.getloadavg()[0]:.1f} "
        "(2 cores: other processes share them)"
    )
    return results


def measure(db: Path, work: Path, *, rate: float = 20.0, seconds: float = 20.0) -> dict:
    """Copy ``db`` (and its facts) to ``work``, serve it, and measure (see the module doc)."""
    work.mkdir(parents=True, exist_ok=True)
    copy = work / db.name
    for path in (copy, copy.with_name(copy.name + ".facts"), copy.with_name(copy.name + ".wal")):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    shutil.copy2(db, copy)
    facts = db.with_name(db.name + ".facts")
    if facts.is_dir():
        shutil.copytree(facts, copy.with_name(copy.name + ".facts"))
    from graph360.facts.files import load

    projection = load(copy.with_name(copy.name + ".facts"))
    keys = projection.keys("customers") if projection else []
    ids = [str(keys[i]) for i in range(0, len(keys), max(1, len(keys) // 200))][:200]
    server = AnalystServer(copy, work)
    try:
        figures = asyncio.run(_measure(server, ids, rate, seconds))
        figures["server_ready_seconds"] = server.ready_seconds
        figures["server_memory"] = server.memory()
    finally:
        server.stop()
    (work / "server-figures.json").write_text(json.dumps(figures, indent=1, default=str))
    return figures
