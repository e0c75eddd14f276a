#!/usr/bin/env python
"""Small upserts on the embedded store: row by row by key against the bulk path, by batch size.

    python bench/small_writes.py --source bench/out/analytics-c20000-t200000-s360.lbug
    python bench/small_writes.py --source big.lbug --sizes 1,256 --bulk-sizes 256

What ``SMALL_NODE_ROWS`` and ``SMALL_RELATIONSHIP_ROWS`` (graph360/store/embedded.py) are chosen
from. Each batch size is timed for both paths
(``--bulk-sizes`` limits the bulk one, which takes tens of seconds a batch on a big graph) on
three writes a recorded touchpoint makes, each in its own ``atomic()`` block, commit included: new
Touchpoint nodes, existing Customer nodes updated, new HAD relationships from existing customers
to those touchpoints. They are written to a copy of the source (``--work``; the source itself is
never opened), with keys of their own, so each run adds a few nodes to the copy. (Rolling each
batch back instead was tried: a rollback after a COPY reopens the database, and one of those
reopens grew the process past 20 GB — see docs/DECISIONS.md.)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load as load_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/graph360-small-writes.lbug"))
    parser.add_argument("--reuse", action="store_true", help="write to an existing --work copy")
    parser.add_argument("--sizes", default="1,16,64,256,1024")
    parser.add_argument("--bulk-sizes", default=None, help="default: every --sizes")
    args = parser.parse_args(argv)
    if args.work.resolve() == args.source.resolve():
        parser.error("--work must not be the source: the benchmark writes to it")
    if not (args.reuse and args.work.exists()):
        args.work.unlink(missing_ok=True)
        shutil.copyfile(args.source, args.work)
    sizes = [int(s) for s in args.sizes.split(",")]
    bulk_sizes = sizes if args.bulk_sizes is None else [int(s) for s in args.bulk_sizes.split(",")]

    from graph360.store import embedded, open_store

    machine = load_bench.machine()
    print(
        f"machine   {machine['cpu']}; {machine['cores']} cores; ladybug "
        f"{machine['versions'].get('ladybug')}"
    )
    store = open_store(str(args.work))
    counts = store.counts()["nodes"]
    print(f"graph     {counts['Customer']:,} customers, {counts['Touchpoint']:,} touchpoints")
    customers = store.all_nodes("Customer")["customer_id"].tolist()[: max(sizes)]
    print(
        f"\n{'rows':>6}  {'path':<7}{'new Touchpoint':>16}{'Customer update':>17}"
        f"{'new HAD':>10}   (ms per batch; ms per row)"
    )
    for size in sizes:
        for path in ("by key", "bulk"):
            if path == "bulk" and size not in bulk_sizes:
                continue
            limit = size if path == "by key" else 0
            embedded.SMALL_NODE_ROWS = embedded.SMALL_RELATIONSHIP_ROWS = limit
            keys = [f"bench-small-{path[0]}{size}-{i}" for i in range(size)]
            people = customers[:size]
            writes = [
                ("Touchpoint", pa.table({"touchpoint_id": keys, "channel": ["web"] * size})),
                ("Customer", pa.table({"customer_id": people, "segment": [path] * size})),
                ("HAD", pa.table({"from": people, "to": keys})),
            ]
            times = []
            for name, rows in writes:
                started = time.perf_counter()
                with store.atomic():  # each write committed on its own, the commit timed too
                    if name == "HAD":
                        store.upsert_relationships(name, rows)
                    else:
                        store.upsert_nodes(name, rows)
                times.append(time.perf_counter() - started)
            cells = "".join(f"{t * 1000:>9.0f}/{t * 1000 / size:<6.2f}" for t in times)
            print(f"{size:>6}  {path:<7}{cells}")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
