#!/usr/bin/env python
"""Recording one touchpoint in real time: p50 / p99 of ``record_touchpoint`` on a big graph.

    python bench/realtime.py                      # the analytics benchmark's 1M-customer graph
    python bench/realtime.py --source other.lbug --samples 50

Recording writes, so the source database is never opened: it is copied to ``--work`` (default
/tmp/graph360-realtime.lbug) first, and the copy is written to (``--reuse`` keeps an existing
copy instead of copying again). Each scenario records ``--samples`` touchpoints, each for
another customer picked at random, and times the whole call (validation, identity resolution,
the atomic write and the routing of the customer). Also timed, once: resolving a one-row
batch against every stored record (what the bulk loader does) against its neighbourhood.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load as load_bench

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE / "out" / "analytics-c1000000-t10000000-s360.lbug"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--work", type=Path, default=Path("/tmp/graph360-realtime.lbug"))
    parser.add_argument("--reuse", action="store_true", help="write to an existing --work copy")
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args(argv)
    if args.work.resolve() == args.source.resolve():
        parser.error("--work must not be the source: recording writes to it")
    if not (args.reuse and args.work.exists()):
        if not args.source.exists():
            parser.error(f"{args.source} does not exist: run bench/analytics.py to build it")
        started = time.perf_counter()
        args.work.unlink(missing_ok=True)
        shutil.copyfile(args.source, args.work)
        print(f"copied {args.source.name} to {args.work} in {time.perf_counter() - started:.1f} s")

    from graph360.ingest.realtime import record_touchpoint
    from graph360.store import open_store

    machine = load_bench.machine()
    print("graph360 real-time recording benchmark")
    print(
        f"machine   {machine['cpu']}; {machine['cores']} cores; "
        f"{machine['memory_bytes'] / 1024**3:.1f} GiB; Python {machine['python']}; "
        f"ladybug {machine['versions'].get('ladybug')}"
    )
    store = open_store(str(args.work))
    counts = {label: store.counts()["nodes"][label] for label in ("Customer", "Touchpoint")}
    print(
        f"graph     {counts['Customer']:,} customers, {counts['Touchpoint']:,} touchpoints "
        f"({args.work}, {args.work.stat().st_size / 1024**3:.1f} GiB)"
    )
    started = time.perf_counter()
    records = store.frame("identity_records")
    full_read = time.perf_counter() - started
    rng = np.random.default_rng(360)
    steps = [r["step_id"] for r in store.query("journey_steps")] or [None]
    run = time.strftime("%H%M%S")
    with_email = records.dropna(subset=["email"])

    def pick(frame: Any) -> Any:
        return frame.iloc[int(rng.integers(len(frame)))]

    def by_source_id(i: int, rating: int | None = None) -> dict[str, Any]:
        source, source_id = pick(records)["record_key"].split(":", 1)
        fields: dict[str, Any] = {"source": source, "customer_id": source_id}
        if rating is not None:
            fields |= {"rating": rating, "rating_scale": 5, "step_id": steps[i % len(steps)]}
        return {"touchpoint": _touchpoint(f"RT-{run}-a{rating}-{i}", fields)}

    def by_email(i: int) -> dict[str, Any]:
        email = pick(with_email)["email"]
        return {"touchpoint": _touchpoint(f"RT-{run}-e-{i}", {"email": email})}

    def new_person(i: int) -> dict[str, Any]:
        customer = {
            "source": "bench",
            "customer_id": f"{run}-{i}",
            "name": f"Bench Person {i}",
            "email": f"bench.{run}.{i}@example.test",
            "phone": f"+44 7700 9{i:05d}",
            "country": "GB",
        }
        return {"touchpoint": _touchpoint(f"RT-{run}-n-{i}", {}), "customer": customer}

    def joins_by_email(i: int) -> dict[str, Any]:
        customer = {"source": "bench-j", "customer_id": f"{run}-{i}"}
        customer["email"] = pick(with_email)["email"]
        return {"touchpoint": _touchpoint(f"RT-{run}-j-{i}", {}), "customer": customer}

    scenarios: dict[str, Callable[[int], dict[str, Any]]] = {
        "known by source id": by_source_id,
        "poor rating, routed": lambda i: by_source_id(i, rating=1),
        "known by e-mail": by_email,
        "new person (e-mail, phone)": new_person,
        "joins by e-mail": joins_by_email,
    }
    print(f"\n{'scenario':<28}{'samples':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  outcome")
    last: dict[str, Any] = {}
    for name, make in scenarios.items():
        times, outcomes = [], {}
        calls = [make(i) for i in range(args.samples)]
        for call in calls:
            started = time.perf_counter()
            result = record_touchpoint(store, call["touchpoint"], customer=call.get("customer"))
            times.append(time.perf_counter() - started)
            outcome = result.customer + (", routed" if result.actions else "")
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            last = call
        ms = np.array(times) * 1000
        seen = ", ".join(f"{k} x{v}" for k, v in sorted(outcomes.items()))
        print(
            f"{name:<28}{len(ms):>8}{np.percentile(ms, 50):>9.1f}{np.percentile(ms, 99):>9.1f}"
            f"{ms.max():>9.1f}  {seen}"
        )
    started = time.perf_counter()
    record_touchpoint(store, last["touchpoint"], customer=last.get("customer"))
    print(f"{'the last one again':<28}{1:>8}{(time.perf_counter() - started) * 1000:>9.1f}")

    _bulk_versus_neighbourhood(store, records, full_read, last)
    store.close()
    return 0


def _touchpoint(tid: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "touchpoint_id": tid,
        "at": "2026-11-02T10:00:00Z",
        "channel": "web",
        "kind": "view",
    } | (fields)


def _bulk_versus_neighbourhood(
    store: Any, records: Any, full_read: float, call: dict[str, Any]
) -> None:
    """A one-row batch resolved against every record (the bulk path) and its neighbourhood."""
    from graph360.ingest.load import prepare_batch
    from graph360.ingest.realtime import INPUTS, _raw_file

    rows = {"touchpoint": call["touchpoint"], "customer": call.get("customer")}
    raw = {
        INPUTS[name]: _raw_file(INPUTS[name], [] if row is None else [row])
        for name, row in rows.items()
    }
    print("\none-row batch, prepared (validate + resolve + tables), nothing written:")
    print(f"  reading every identity record ({len(records):,} rows): {full_read:.2f} s")
    for neighbourhood in (False, True):
        started = time.perf_counter()
        prepare_batch(store, raw, neighbourhood=neighbourhood)
        label = "neighbourhood" if neighbourhood else "every record (bulk default)"
        print(f"  against {label:<30} {time.perf_counter() - started:>7.3f} s")


if __name__ == "__main__":
    raise SystemExit(main())
