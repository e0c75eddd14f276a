#!/usr/bin/env python
"""Mapping benchmark: real export shapes at a million rows, through their shipped mappings.

    python bench/mapping.py                      # 1M Shopify line items, 1M GA4 events
    python bench/mapping.py --rows 100000

What it measures, on this machine (printed first):

1. a Shopify orders export (``shopify_orders``: one row per line item, order fields blank
   after an order's first line, so ``fill_down`` works on every order; a quoted note spanning
   lines on every hundredth order) — the time to map it, against DuckDB's ``read_csv`` of the
   same file (only parsing, no mapping: the peer's floor);
   (every column read into an Arrow table);
2. a GA4 BigQuery export as NDJSON (``ga4_events``: nested structs and ``event_params``
   flattened, microsecond epochs, devices signing in part-way) — the time to map it, against
   DuckDB's ``read_json`` of the same file.

The target is DESIGN.md's load budget: a million rows of an export mapped well inside the
minute a whole 1M / 10M load may take, so 30 s per million rows; the ratio to DuckDB says how
far the mapping's own work is above only reading the file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph360.ingest.mapping import load_mapping, map_export

TARGET_SECONDS_PER_MILLION = 30.0


def machine() -> dict[str, object]:
    cpu = platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def shopify_orders(path: Path, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    head = (
        "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Currency,"
        "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Phone,"
        "Notes,Id,Source\r\n"
    )
    items = rng.integers(1, 5, size=rows)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("\ufeff" + head)
        order, written = 1000, 0
        while written < rows:
            order += 1
            count = int(items[order % rows])
            for line in range(count):
                if written == rows:
                    break
                sku = f"SKU-{(order * 7 + line) % 5000:04d}"
                if line == 0:
                    note = '"Leave with\r\nneighbour"' if order % 100 == 0 else ""
                    out.write(
                        f"#{order},Buyer{order % 90000}@Example.com,paid,"
                        f"2026-07-01 08:16:02 +0100,fulfilled,2026-07-02 11:00:00 +0100,GBP,"
                        f"2026-07-01 08:15:00 +0100,{line + 1},Item {sku},£{(order % 90) + 0.99},"
                        f"{sku},07700 9{order % 100000:05d},{note},{5550000000 + order},web\r\n"
                    )
                else:
                    out.write(
                        f"#{order},,,,,,,,{line + 1},Item {sku},{(order % 50) + 0.5},{sku},,,,\r\n"
                    )
                written += 1


def ga4_events(path: Path, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    devices = rng.integers(0, max(1, rows // 8), size=rows)
    start = 1_782_893_700_000_000
    with path.open("w", encoding="utf-8") as out:
        for i in range(rows):
            device = int(devices[i])
            signed_in = device % 3 == 0 and i % 4 == 0
            event = {
                "event_date": "20260701",
                "event_timestamp": str(start + i * 1_000_003),
                "event_name": ("page_view", "view_item", "add_to_cart", "login")[i % 4],
                "event_params": [
                    {"key": "ga_session_id", "value": {"int_value": 1720000000 + device}},
                    {
                        "key": "page_location",
                        "value": {"string_value": f"https://shop.example.com/p/{i % 997}"},
                    },
                    {"key": "page_title", "value": {"string_value": f"Product {i % 997}"}},
                ],
                "user_id": f"7{device:012d}" if signed_in else None,
                "user_pseudo_id": f"{device}.1782893700",
                "device": {"category": ("mobile", "desktop", "tablet")[device % 3]},
                "geo": {"country": "United Kingdom", "city": "Manchester"},
                "traffic_source": {"source": "google", "medium": "organic"},
            }
            out.write(json.dumps(event) + "\n")


def timed(function: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=360)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print("machine:", json.dumps(machine()))
    target = TARGET_SECONDS_PER_MILLION * args.rows / 1_000_000
    cases = [
        (
            "shopify_orders",
            f"orders-{args.rows}.csv",
            shopify_orders,
            "SELECT * FROM read_csv('{}', all_varchar=true)",
        ),
        (
            "ga4_events",
            f"events-{args.rows}.ndjson",
            ga4_events,
            "SELECT * FROM read_json('{}', format='newline_delimited')",
        ),
    ]
    print(
        f"{'mapping':<16} {'rows':>10} {'mapped s':>9} {'target s':>9} {'duckdb s':>9} "
        f"{'ratio':>6}  canonical rows"
    )
    for name, file, make, peer in cases:
        path = args.out / file
        if not path.exists():
            make(path, args.rows, args.seed)
        mapping = load_mapping(name)
        seconds, mapped = timed(lambda m=mapping, p=path: map_export(m, p))
        duck_seconds, _ = timed(lambda q=peer, p=path: duckdb.sql(q.format(p)).to_arrow_table())
        written = {f: len(rows) for f, rows in mapped.frames.items()}
        verdict = "ok" if seconds <= target else "OVER"
        print(
            f"{name:<16} {mapped.records:>10,} {seconds:>9.1f} {target:>9.0f} "
            f"{duck_seconds:>9.1f} {seconds / duck_seconds:>6.1f}  {written} {verdict}"
        )


if __name__ == "__main__":
    main()
