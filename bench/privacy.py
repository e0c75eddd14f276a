#!/usr/bin/env python
"""Privacy benchmark (issue 16) on the 1M-customer / 10M-touchpoint graph: a retention dry run
over everyone, exporting one person, erasing one person in each mode, and what the suppression
screen adds to a load of the 1M bundle.

    python bench/privacy.py --store /work/scratch-privacy/graph-1m.lbug \\
        --bundle /work/bench-out/bundle-v3-c1000000-t10000000-s360

``--store`` is written to (erasures): give a copy, never the shared graph. Each figure is
printed against its target, with the machine; the peer (DuckDB) answers the retention question
on the bundle's own CSV files in the same run.

Targets: a retention dry run over 1M people in seconds (10 s, from a built facts projection;
the projection's own build is printed apart); an erasure and an export in well under a second
each; the suppression screen costing under 1% of the bundle's load (~295 s at main, notes/
scale-floors.md), i.e. under 3 s, and nothing when the list is empty.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load as load_bench

RETENTION_TARGET = 10.0
ONE_PERSON_TARGET = 1.0
SCREEN_TARGET = 3.0


def _timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, round(time.perf_counter() - started, 3)


def _verdict(seconds: float, target: float) -> str:
    return "ok" if seconds <= target else "OVER"


def run(store_path: str, bundle: Path | None) -> dict[str, Any]:
    from graph360 import erasure, facts, retention
    from graph360.export_person import export_person
    from graph360.store import open_store

    if "bench-out" in str(Path(store_path).resolve()):
        raise SystemExit("refusing to write to the shared graph: give a copy (cp -r) under scratch")
    figures: dict[str, Any] = {"machine": load_bench.machine()}
    store, figures["open_s"] = _timed(open_store, store_path)
    figures["counts"] = store.counts()["nodes"]
    projection, figures["facts_build_s"] = _timed(facts.current, store)
    keys = projection.keys("customers")
    report, figures["retention_dry_run_3y_s"] = _timed(
        retention.retention, store, "3y", dry_run=True
    )
    figures["retention_3y"] = {
        "customers": report.customers,
        "inactive": report.inactive,
        "no_activity_known": report.no_activity_known,
    }
    report, figures["retention_dry_run_1y_s"] = _timed(
        retention.retention, store, "1y", dry_run=True
    )
    figures["retention_1y_inactive"] = report.inactive

    person, other = str(keys[len(keys) // 3]), str(keys[len(keys) // 2])
    document, figures["export_one_s"] = _timed(export_person, store, person)
    figures["export_one"] = {
        k: len(document[k]) for k in ("source_records", "touchpoints", "relationships")
    }
    done, figures["erase_delete_s"] = _timed(erasure.erase, store, person, mode="delete")
    figures["erase_delete_counts"] = done.counts
    done, figures["erase_anonymise_s"] = _timed(erasure.erase, store, other, mode="anonymise")
    figures["erase_anonymise_counts"] = done.counts
    if bundle is not None:
        figures |= screen_cost(store, bundle)
        figures |= duckdb_retention(bundle)
    store.close()
    return figures


def screen_cost(store: Any, bundle: Path) -> dict[str, Any]:
    """What graph360.suppression.Screen adds to a load of ``bundle``: with the list empty (one
    query) and holding the two erased people's identifiers, on the bundle's real frames."""
    from graph360.ingest import load
    from graph360.ingest.bundle import read_bundle
    from graph360.suppression import Screen

    raw = read_bundle(bundle)
    customers = load._check_customers(raw["customers"], [], "GB")
    empty = Screen(frozenset())
    _, empty_s = _timed(empty.customers, customers)
    listed, query_s = _timed(Screen.of, store)
    kept, customers_s = _timed(listed.customers, customers)
    emails = customers["email_norm"].dropna().unique()
    people = SimpleNamespace(  # what _People holds that the screen reads
        record_keys=load._text_array(customers["record_key"]),
        emails=load._text_array(load.pd.Series(emails)),
    )
    _, linked_s = _timed(listed.linked, raw, people)
    return {
        "screen_rows": {name: len(file.frame) for name, file in raw.items()},
        "screen_digests": len(listed.digests),
        "screen_empty_s": empty_s,
        "screen_query_s": query_s,
        "screen_customers_s": customers_s,
        "screen_linked_s": linked_s,
        "screen_total_s": round(query_s + customers_s + linked_s, 3),
        "screen_left_out": listed.counts(),
        "screen_kept_customers": len(kept),
    }


def duckdb_retention(bundle: Path) -> dict[str, Any]:
    """The peer: DuckDB answers "who has had no touchpoint for 3 years" on the CSVs."""
    import duckdb

    cutoff = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=3 * 365)
    connection = duckdb.connect()
    # ISO-8601 text sorts as time: the peer compares the text as read, no type sniffing.
    text = (
        'SELECT count(*) FROM (SELECT source, customer_id, max("at") AS last_at '
        "FROM read_csv(?, all_varchar = true, header = true, delim = ',', quote = '\"', "
        "ignore_errors = true) WHERE customer_id IS NOT NULL "
        'GROUP BY source, customer_id HAVING max("at") < ?)'
    )
    started = time.perf_counter()
    bound = cutoff.strftime("%Y-%m-%d %H:%M:%S")
    (count,) = connection.execute(text, [str(bundle / "touchpoints.csv"), bound]).fetchone()
    return {"duckdb_retention_3y_s": round(time.perf_counter() - started, 3), "duckdb_3y": count}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="a copy of the 1M graph (written to)")
    parser.add_argument("--bundle", type=Path, help="the bundle the graph was loaded from")
    parser.add_argument("-o", "--output", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.store, args.bundle)
    m = figures["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_bytes'] / 2**30:.1f} GiB")
    print(f"graph: {figures['counts'].get('Customer'):,} customers, "
          f"{figures['counts'].get('Touchpoint'):,} touchpoints")  # fmt: skip
    print(f"facts projection build (once per graph version): {figures['facts_build_s']} s")
    for name, target in (
        ("retention_dry_run_3y_s", RETENTION_TARGET),
        ("retention_dry_run_1y_s", RETENTION_TARGET),
        ("export_one_s", ONE_PERSON_TARGET),
        ("erase_delete_s", ONE_PERSON_TARGET),
        ("erase_anonymise_s", ONE_PERSON_TARGET),
        ("screen_total_s", SCREEN_TARGET),
    ):
        if name in figures:
            seconds = figures[name]
            print(f"{name}: {seconds} s (target {target} s) {_verdict(seconds, target)}")
    if "duckdb_retention_3y_s" in figures:
        ratio = figures["retention_dry_run_3y_s"] / max(figures["duckdb_retention_3y_s"], 1e-9)
        print(
            f"peer: DuckDB retention on the CSVs {figures['duckdb_retention_3y_s']} s "
            f"({figures['duckdb_3y']:,} people); graph360 / DuckDB = {ratio:.2f}"
        )
    print(json.dumps({k: v for k, v in figures.items() if k != "machine"}, default=str, indent=1))
    if args.output:
        args.output.write_text(json.dumps(figures, default=str, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
