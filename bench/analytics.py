#!/usr/bin/env python
"""Analytics benchmark: every question graph360 answers, timed on the load benchmark's graph.

    python bench/analytics.py                         # 1M customers, 10M touchpoints
    python bench/analytics.py --customers 100000 --touchpoints 1000000

It reuses ``bench/load.py``'s generated bundle (generating it if needed) and loads it once into
``<out>/analytics-c<N>-t<M>.lbug`` (kept for the next run). Each measurement then runs in a
fresh child process, so its peak memory is its own: wall time, CPU time and peak RSS. The 360
card is measured in-process over many customers (p50 / p99 of the function call, not HTTP).
``--only server`` (part of a full run) serves a copy of the graph and measures, over HTTP, the
analytics asked again with other parameters and a card's p99 while an analytic is computed in
the server (bench/analytics_server.py).

    python bench/analytics.py --store /work/scratch-analytics/graph-1m.lbug   # a graph you have

Targets (issue 12): every analytic at most 10 s wall in a fresh process (stretch 3 s); the
department overlap within 1.5x of DuckDB's SQL and PageRank end to end (read to stored scores)
within 2x of igraph's, both peers run in the same run on the same data (the facts projection's
Arrow files: DuckDB queries them in place, igraph builds its graph from the RELATED pairs);
scores written back in at most 5 s. The analytics answer from the facts projection
(graph360.facts): its rebuild is measured first, in a process of its own, and every analytic
after it starts from the stored projection, as a CLI call after a load would.
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

TARGET_SECONDS = 10.0
STRETCH_SECONDS = 3.0
TARGET_STORE_SECONDS = 5.0
OVERLAP_RATIO = 1.5
PAGERANK_RATIO = 2.0


def _measures() -> dict[str, Callable[[Any], Any]]:
    """name -> what runs in the child, given an open store."""
    from graph360.analytics import journeys, offers, overlap, routing, value
    from graph360.analytics.engagement.report import engagement
    from graph360.analytics.influence.scores import influence
    from graph360.analytics.ownership.audit import ownership_audit

    return {
        "influence": lambda s: influence(s, top=20),
        "overlap pairs": lambda s: overlap.pairwise_overlap(overlap.reach(s, by="department")),
        "collisions": lambda s: overlap.contact_collisions(s, by="department"),
        "overlap": lambda s: overlap.overlap_report(s, by="department"),
        "overlap by division": lambda s: overlap.overlap_report(s, by="division"),
        "audit": lambda s: ownership_audit(s),
        "funnel": lambda s: journeys.journey_funnel(s, "buy"),
        "engagement": lambda s: engagement(s),
        "value": lambda s: value.update_values(s),
        "rules": lambda s: routing.run_rules(s),
        "offer model": lambda s: offers.build_offer_model(s),
    }


def child(name: str, db: Path) -> None:
    from graph360.store import open_store

    if name == "facts rebuild":
        from graph360 import facts

        def measure(s: Any) -> Any:
            return facts.refresh(s)
    else:
        measure = _measures()[name]
    store = open_store(str(db))
    started, cpu = time.perf_counter(), time.process_time()
    answer = measure(store)
    figures = {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_bytes": _peak_rss(),
    }
    if name == "influence":
        result = answer[0]
        figures["steps"] = result.seconds
        figures["modularity"] = result.modularity
        figures["communities"] = int(result.table["community"].nunique())
        figures["pagerank_iterations"] = result.pagerank.iterations
        figures["written"] = result.written  # rows per write-back statement
    if name == "facts rebuild":
        figures["steps"] = answer.seconds
    if name == "overlap pairs":
        figures["pairs"] = {
            "|".join(sorted((p["unit_a"], p["unit_b"]))): p["both"] for p in answer if p["both"]
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
    from graph360.privacy import OPERATOR
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
        customer_card(store, customer_id, audience=OPERATOR)
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


def duckdb_child(db: Path) -> None:
    """DuckDB's SQL for the department overlap (pairwise shared customers) over the facts
    projection's Arrow files, read in place: the same data the overlap answers from."""
    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.feather as feather

    folder = db.with_name(db.name + ".facts")
    started, cpu = time.perf_counter(), time.process_time()
    con = duckdb.connect()
    tables = {}
    for name in ("had", "handled_by", "from_campaign", "run_by", "targets"):
        tables[name] = feather.read_table(folder / f"{name}.arrow", memory_map=True)
    keys = feather.read_table(folder / "departments.arrow", memory_map=True).column("key")
    tables["departments"] = pa.table(
        {"code": pa.array(np.arange(len(keys), dtype=np.int32)), "key": keys}
    )
    tp = feather.read_table(folder / "touchpoints.arrow", memory_map=True)
    tables["tp"] = pa.table(
        {
            "t": pa.array(np.arange(tp.num_rows, dtype=np.int32)),
            "kind": tp.column("kind"),
            "outcome": tp.column("outcome"),
        }
    )
    for name, table in tables.items():
        con.register(name, table)
    rows = con.execute(
        """
        WITH reached AS (
          SELECT h.source AS c, b.target AS d FROM had h
            JOIN handled_by b ON b.source = h.target JOIN tp ON tp.t = h.target
            WHERE coalesce(tp.kind, '') <> 'bounce' AND coalesce(tp.outcome, '') <> 'no_answer'
          UNION
          SELECT h.source, r.target FROM had h
            JOIN from_campaign f ON f.source = h.target JOIN run_by r ON r.source = f.target
            JOIN tp ON tp.t = h.target
            WHERE coalesce(tp.kind, '') <> 'bounce' AND coalesce(tp.outcome, '') <> 'no_answer'
          UNION
          SELECT g.target, r.target FROM targets g JOIN run_by r ON r.source = g.source
        )
        SELECT da.key AS a, db.key AS b, count(*) AS both
        FROM reached x JOIN reached y ON x.c = y.c AND x.d <> y.d
        JOIN departments da ON da.code = x.d JOIN departments db ON db.code = y.d
        WHERE da.key < db.key
        GROUP BY ALL
        """
    ).fetchall()
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "cpu_seconds": time.process_time() - cpu,
                "peak_rss_bytes": _peak_rss(),
                "pairs": {f"{a}|{b}": n for a, b, n in rows},
            }
        )
    )


def igraph_child(db: Path) -> None:
    """igraph's PageRank (PRPACK) of the same weighted influence graph, from the projection's
    RELATED pairs: its build and its PageRank, nothing read from or written to a database."""
    import igraph
    import numpy as np
    import pyarrow.feather as feather

    from graph360 import model

    folder = db.with_name(db.name + ".facts")
    started, cpu = time.perf_counter(), time.process_time()
    related = feather.read_table(folder / "related.arrow", memory_map=True)
    n = feather.read_table(folder / "customers.arrow", memory_map=True).num_rows
    kind = related.column("kind").combine_chunks()
    symmetric = np.isin(np.asarray(kind.dictionary), list(model.SYMMETRIC_KINDS))[
        kind.indices.to_numpy()
    ]
    src = related.column("source").to_numpy()
    dst = related.column("target").to_numpy()
    weight = related.column("weight").to_numpy(zero_copy_only=False)
    weight = np.where(np.isnan(weight), 1.0, weight)
    keep = (src != dst) & (weight > 0)
    src, dst, weight, symmetric = src[keep], dst[keep], weight[keep], symmetric[keep]
    edges = np.column_stack([np.r_[src, dst[symmetric]], np.r_[dst, src[symmetric]]]).tolist()
    graph = igraph.Graph(n=n, edges=edges, directed=True)
    built = time.perf_counter()
    graph.pagerank(weights=np.r_[weight, weight[symmetric]].tolist(), damping=0.85)
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "build_seconds": built - started,
                "cpu_seconds": time.process_time() - cpu,
                "peak_rss_bytes": _peak_rss(),
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


def _peers(results: dict[str, Any], db: Path, only: list[str] | None) -> None:
    """DuckDB's overlap and igraph's PageRank on the same data, as ratios to ours."""
    if only and not {"overlap pairs", "influence"} & set(only):
        return
    print("\npeers on the same data (the facts projection's Arrow files)")
    duck = results["duckdb overlap"] = _run(["--peer", "duckdb", "--db", str(db)])
    ours = results.get("overlap pairs", {})
    if "error" in duck:
        print(f"  DuckDB overlap SQL failed: {duck['error']}")
    elif "seconds" in ours:
        ratio = ours["seconds"] / duck["seconds"]
        same = ours.get("pairs") == {k: v for k, v in duck["pairs"].items() if v}
        print(
            f"  department overlap: ours {ours['seconds']:.2f} s, DuckDB {duck['seconds']:.2f} s:"
            f" {ratio:.2f}x (target <= {OVERLAP_RATIO:g}x: "
            f"{'ok' if ratio <= OVERLAP_RATIO else 'MISSED'}); same pairs: {same}"
        )
    graph = results["igraph pagerank"] = _run(["--peer", "igraph", "--db", str(db)])
    influence = results.get("influence", {})
    if "error" in graph:
        print(f"  igraph PageRank failed: {graph['error']}")
    elif "steps" in influence:
        steps = influence["steps"]
        end_to_end = sum(steps.get(k, 0.0) for k in ("read", "build", "pagerank", "store"))
        ratio = end_to_end / graph["seconds"]
        print(
            f"  PageRank end to end (read, build, PageRank, store): ours {end_to_end:.2f} s, "
            f"igraph {graph['seconds']:.2f} s (build {graph['build_seconds']:.2f}, no read, "
            f"no store): {ratio:.2f}x (target <= {PAGERANK_RATIO:g}x: "
            f"{'ok' if ratio <= PAGERANK_RATIO else 'MISSED'})"
        )
        store = steps.get("store", 0.0)
        print(
            f"  scores written back: {store:.2f} s (target <= {TARGET_STORE_SECONDS:g} s: "
            f"{'ok' if store <= TARGET_STORE_SECONDS else 'MISSED'})"
        )


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
    parser.add_argument("--store", type=Path, help="an existing graph to measure (kept as is)")
    parser.add_argument("--peer", choices=["duckdb", "igraph"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help="where the server's copy of the graph goes")
    args = parser.parse_args(argv)
    if args.peer == "duckdb":
        duckdb_child(args.db)
        return 0
    if args.peer == "igraph":
        igraph_child(args.db)
        return 0
    if args.child:
        child(args.child, args.db)
        return 0
    if args.card_child:
        card_child(args.db, args.cards)
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    db = args.store or ensure_database(args.out, args.customers, args.touchpoints, args.seed)
    machine = load_bench.machine()
    print("graph360 analytics benchmark")
    print(
        f"machine   {machine['cpu']}; {machine['cores']} cores; "
        f"{machine['memory_bytes'] / 1024**3:.1f} GiB; Python {machine['python']}"
    )
    if args.store:
        print(f"graph     {db} (as given)")
    else:
        print(
            f"graph     {args.customers:,} customers, {args.touchpoints:,} touchpoints ({db.name})"
        )
    print(f"\n{'measure':<22}{'seconds':>9}{'cpu s':>8}{'peak RSS':>11}  target")
    results: dict[str, Any] = {}
    names = ["facts rebuild", *_measures()]
    for name in names:
        if args.only and name not in args.only:
            continue
        figures = results[name] = _run(["--child", name, "--db", str(db)])
        if "error" in figures:
            print(f"{name:<22}  failed: {figures['error']}")
            continue
        if name == "facts rebuild":
            verdict = "(once per graph version; not an analytic)"
        else:
            ok = figures["seconds"] <= TARGET_SECONDS
            stretch = figures["seconds"] <= STRETCH_SECONDS
            verdict = f"<= {TARGET_SECONDS:g} s: {'ok' if ok else 'MISSED'}"
            verdict += f" (stretch {STRETCH_SECONDS:g} s: {'ok' if stretch else 'no'})"
        print(
            f"{name:<22}{figures['seconds']:>9.2f}{figures['cpu_seconds']:>8.1f}"
            f"{figures['peak_rss_bytes'] / 1024**3:>9.2f} GiB  {verdict}"
        )
        if "steps" in figures:
            steps = ", ".join(f"{k} {v:.2f}" for k, v in figures["steps"].items())
            print(f"{'':<22}steps: {steps}")
        if name == "influence":
            print(
                f"{'':<22}modularity {figures['modularity']:.4f}, "
                f"{figures['communities']:,} communities, "
                f"{figures['pagerank_iterations']} PageRank iterations; rows written: "
                + ", ".join(f"{k} {v:,}" for k, v in figures.get("written", {}).items())
            )
    _peers(results, db, args.only)
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
    if not args.only or "server" in args.only:
        import analytics_server  # the analytics inside a running server, over HTTP

        results["server"] = analytics_server.measure(db, args.work or args.out / "server")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = args.out / f"analytics-{stamp}.json"
    path.write_text(json.dumps({"machine": machine, "results": results}, indent=2, default=str))
    print(f"\nfigures: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
