#!/usr/bin/env python
"""Neo4j load benchmark: write throughput through the driver, per batch size.

    GRAPH360_NEO4J_URI=bolt://localhost:7687 GRAPH360_NEO4J_PASSWORD=… python bench/neo4j_load.py
    python bench/neo4j_load.py --customers 100000 --touchpoints 1000000 --batch 5000 --batch 20000

Without ``GRAPH360_NEO4J_URI`` it prints the machine, says that it measured nothing, and exits 2.

WARNING: it EMPTIES the database it is pointed at (like the test suite's Neo4j leg).

For each ``--batch`` size (default: the store's ``BATCH_ROWS``), on an emptied database, through
``Neo4jStore`` exactly as a load writes (``UNWIND $rows … MERGE`` batches):

1. customers, all new (MERGE creates);
2. the same customers again with a changed property (MERGE matches and sets: a re-load);
3. touchpoints, all new, with their free text;
4. HAD relationships customer → touchpoint (two key lookups and a MERGE per row);

each as rows per second, with ``--atomic`` all four inside one ``store.atomic()`` transaction
as ``graph360 load`` does (the server needs the memory for it), else one transaction per batch.
The machine (client side), the server's agent string and the figures are printed and written
to ``bench/out/neo4j-load-<timestamp>.json``. The client is this machine; the server may be
another: both bound the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import machine  # bench/load.py: the same machine description

from graph360.store.neo4j import Neo4jStore
from graph360.store.neo4j_cypher import BATCH_ROWS

OUT = Path(__file__).resolve().parent / "out"


def customers(n: int, name: str) -> pa.Table:
    ids = [f"c{i:09d}" for i in range(n)]
    return pa.table(
        {
            "customer_id": ids,
            "name": [f"{name} {i}" for i in range(n)],
            "email": [f"person{i}@example.org" for i in range(n)],
            "segment": np.array(["retail", "business", "vip"])[np.arange(n) % 3],
            "created_at": pa.array(
                (np.datetime64("2020-01-01") + np.arange(n).astype("timedelta64[m]")).astype(
                    "datetime64[us]"
                ),
                pa.timestamp("us"),
            ),
        }
    )


def touchpoints(n: int, people: int, seed: int = 360) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    ids = [f"t{i:010d}" for i in range(n)]
    owners = rng.integers(0, people, n)
    nodes = pa.table(
        {
            "touchpoint_id": ids,
            "at": pa.array(
                (
                    np.datetime64("2024-01-01")
                    + rng.integers(0, 365 * 24 * 60, n).astype("timedelta64[m]")
                ).astype("datetime64[us]"),
                pa.timestamp("us"),
            ),
            "channel": np.array(["email", "web", "phone", "shop"])[rng.integers(0, 4, n)],
            "kind": np.array(["open", "visit", "call", "purchase"])[rng.integers(0, 4, n)],
            "value": rng.gamma(2.0, 30.0, n).round(2),
            "text": [f"note {i}: the customer asked about their order" for i in range(n)],
        }
    )
    had = pa.table({"from": [f"c{o:09d}" for o in owners], "to": ids})
    return nodes, had


def timed(label: str, rows: int, work: Any) -> dict[str, Any]:
    started = time.perf_counter()
    created = work()
    seconds = time.perf_counter() - started
    figure = {
        "step": label,
        "rows": rows,
        "created": created,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds) if seconds else None,
    }
    print(f"  {label:<34} {rows:>10,} rows {seconds:>8.2f} s {figure['rows_per_second']:>10,} /s")
    return figure


def run(uri: str, sizes: list[int], people: int, events: int, atomic: bool) -> list[dict]:
    runs = []
    first, again = customers(people, "Person"), customers(people, "Renamed")
    nodes, had = touchpoints(events, people)
    for size in sizes:
        store = Neo4jStore(uri, batch_rows=size)
        store.apply_schema()
        store.delete_everything()
        print(f"batch {size:,} rows{' (one transaction)' if atomic else ''}:")
        figures = []

        def steps(store: Neo4jStore = store, figures: list = figures) -> None:
            figures.append(
                timed("customers (new)", people, lambda: store.upsert_nodes("Customer", first))
            )
            figures.append(
                timed(
                    "customers (existing, updated)",
                    people,
                    lambda: store.upsert_nodes("Customer", again),
                )
            )
            figures.append(
                timed("touchpoints (new)", events, lambda: store.upsert_nodes("Touchpoint", nodes))
            )
            figures.append(
                timed(
                    "HAD relationships (new)",
                    events,
                    lambda: store.upsert_relationships("HAD", had),
                )
            )

        if atomic:
            started = time.perf_counter()
            with store.atomic():
                steps()
            print(f"  {'commit included, total':<34} {time.perf_counter() - started:>25.2f} s")
        else:
            steps()
        runs.append({"batch_rows": size, "atomic": atomic, "steps": figures})
        store.delete_everything()
        store.close()
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, action="append", help="rows per batch (repeat)")
    parser.add_argument("--atomic", action="store_true", help="all writes in one transaction")
    args = parser.parse_args()
    host = machine()
    print(
        f"client machine: {host['cpu']}, {host['cores']} cores, "
        f"{(host['memory_bytes'] or 0) / 1024**3:.1f} GiB, {host['os']}, Python {host['python']}"
    )
    uri = os.environ.get("GRAPH360_NEO4J_URI")
    if not uri:
        print(
            "NOTHING MEASURED: GRAPH360_NEO4J_URI is not set, so there is no Neo4j server to "
            "load into. Set it (and GRAPH360_NEO4J_PASSWORD) to a throwaway server."
        )
        return 2
    probe = Neo4jStore(uri)
    server = probe._driver.get_server_info()
    bolt = ".".join(map(str, server.protocol_version))
    print(f"server: {server.agent} at {probe.location} (Bolt {bolt})")
    runs = run(uri, args.batch or [BATCH_ROWS], args.customers, args.touchpoints, args.atomic)
    OUT.mkdir(exist_ok=True)
    path = OUT / f"neo4j-load-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(
        json.dumps(
            {
                "machine": host,
                "server": {"agent": server.agent, "location": probe.location},
                "customers": args.customers,
                "touchpoints": args.touchpoints,
                "runs": runs,
            },
            indent=2,
        )
    )
    print(f"figures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
