#!/usr/bin/env python
"""Analytics benchmark: every question graph360 answers, timed on the load benchmark's graph.

    python bench/analytics.py                         # 1M customers, 10M touchpoints
    python bench/analytics.py --customers 100000 --touchpoints 1000000

It reuses ``bench/load.py``'s generated bundle (generating it if needed) and loads it once into
``<out>/analytics-c<N>-t<M>.lbug`` (kept for the next run). Each measurement then runs in a
fresh child process, so its peak memory is its own: wall time, CPU time and peak RSS. The 360
card is measured in-process over many customers (p50 / p99 of the function call, not HTTP).

Targets (issue 3): PageRank end to end under 10 s and 3 GB; overlap across all departments
under 5 s; the ownership audit under 5 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load as load_bench

TARGETS = {"influence": 10.0, "overlap": 5.0, "audit": 5.0}
TARGET_PAGERANK_BYTES = 3 * 1024**3


def _measures() -> dict[str, Callable[[Any], Any]]:
    """name -> what runs in the child, given an open store."""
    from graph360.analytics import (
        engagement,
        influence,
        journeys,
        offers,
        overlap,
        ownership,
        routing,
        value,
    )

    return {
        "influence": lambda s: influence.influence(s, top=20),
        "overlap": lambda s: overlap.overlap_report(s, by="department"),
        "overlap by division": lambda s: overlap.overlap_report(s, by="division"),
        "audit": lambda s: ownership.ownership_audit(s),
        "funnel": lambda s: journeys.journey_funnel(s, "buy"),
        "engagement": lambda s: engagement.engagement(s),
        "value": lambda s: value.update_values(s),
        "rules": lambda s: routing.run_rules(s),
        "offer model": lambda s: offers.build_offer_model(s),
    }


def child(name: str, db: Path) -> None:
    from graph360.store import open_store

    measure = _measures()[name]
    store = open_store(str(db))
    started, cpu = time.perf_counter(), time.process_time()
    measure(store)
    figures = {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_bytes": _peak_rss(),
    }
    store.close()
    print(json.dumps(figures))


def _peak_rss() -> int:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry the
    parent's peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def card_child(db: Path, samples: int) -> None:
    """p50 / p99 of the 360 card function over ``samples`` customers (warm process)."""
    import numpy as np

    from graph360.analytics.card import customer_card
    from graph360.analytics.offers import offer_model
    from graph360.store import open_store

    store = open_store(str(db), read_only=True)
    ids = store.frame("identity_records")["customer_id"].drop_duplicates()
    chosen = ids.sample(n=min(samples, len(ids)), random_state=360).tolist()
    started = time.perf_counter()
    offer_model(store)  # built once per process, as the API will
    model_seconds = time.perf_counter() - started
    times = []
    for customer_id in chosen:
        started = time.perf_counter()
        customer_card(store, customer_id)
        times.append(time.perf_counter() - started)
    ms = np.array(times) * 1000
    print(
        json.dumps(
            {
                "samples": len(ms),
                "p50_ms": float(np.percentile(ms, 50)),
                "p99_ms": float(np.percentile(ms, 99)),
                "max_ms": float(ms.max()),
                "offer_model_seconds": model_seconds,
            }
        )
    )


def _run(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_database(out: Path, customers: int, touchpoints: int, seed: int) -> Path:
    db = out / f"analytics-c{customers}-t{touchpoints}-s{seed}.lbug"
    if db.exists():
        return db
    info = load_bench.ensure_bundle(out, customers, touchpoints, seed)
    print(f"loading {info['folder']} into {db} (once, in a child process) …", flush=True)
    code = (
        "import sys; from pathlib import Path; from graph360.store import open_store; "
        "from graph360.ingest.load import load_bundle; "
        "s = open_store(sys.argv[1]); "
        "load_bundle(s, Path(sys.argv[2]), rejects_path=Path(sys.argv[3])); s.close()"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(db), info["folder"], str(out / "analytics-rejects.csv")],
        check=True,
    )
    return db


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--only", action="append", help="run only these measures")
    parser.add_argument("--cards", type=int, default=500, help="customers for the card p99")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--card-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.db)
        return 0
    if args.card_child:
        card_child(args.db, args.cards)
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    db = ensure_database(args.out, args.customers, args.touchpoints, args.seed)
    machine = load_bench.machine()
    print("graph360 analytics benchmark")
    print(
        f"machine   {machine['cpu']}; {machine['cores']} cores; "
        f"{machine['memory_bytes'] / 1024**3:.1f} GiB; Python {machine['python']}"
    )
    print(f"graph     {args.customers:,} customers, {args.touchpoints:,} touchpoints ({db.name})")
    print(f"\n{'measure':<22}{'seconds':>9}{'cpu s':>8}{'peak RSS':>11}  target")
    results: dict[str, Any] = {}
    for name in _measures():
        if args.only and name not in args.only:
            continue
        figures = results[name] = _run(["--child", name, "--db", str(db)])
        if "error" in figures:
            print(f"{name:<22}  failed: {figures['error']}")
            continue
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            ok = figures["seconds"] < target
            if name == "influence":
                ok = ok and figures["peak_rss_bytes"] < TARGET_PAGERANK_BYTES
                verdict = f"< {target:g} s, < 3 GiB: {'ok' if ok else 'MISSED'}"
            else:
                verdict = f"< {target:g} s: {'ok' if ok else 'MISSED'}"
        print(
            f"{name:<22}{figures['seconds']:>9.2f}{figures['cpu_seconds']:>8.1f}"
            f"{figures['peak_rss_bytes'] / 1024**3:>9.2f} GiB  {verdict}"
        )
    if not args.only or "card" in args.only:
        card = results["card"] = _run(["--card-child", "--db", str(db), "--cards", str(args.cards)])
        if "error" in card:
            print(f"{'card':<22}  failed: {card['error']}")
        else:
            print(
                f"\n360 card (function, warm, {card['samples']} customers): "
                f"p50 {card['p50_ms']:.1f} ms, p99 {card['p99_ms']:.1f} ms, "
                f"max {card['max_ms']:.1f} ms; offer model built in "
                f"{card['offer_model_seconds']:.1f} s once per process"
            )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = args.out / f"analytics-{stamp}.json"
    path.write_text(json.dumps({"machine": machine, "results": results}, indent=2, default=str))
    print(f"\nfigures: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
