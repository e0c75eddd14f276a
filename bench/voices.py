"""What customers say, at 1M customers / 10M touchpoints: computed sentiment and themes.

    flock /work/bench.lock python bench/voices.py --bundle BUNDLE --graph COPY.lbug

Measures, each printed against its target, with the machine:

- VADER's rate on distinct texts (``--distinct`` made-up remarks, two or three sentences of the
  labelled set each), so the cost of a bundle whose texts are all different is known;
- the load's "score sentiment" step on the bundle's own touchpoints, with the source's
  sentiment taken away (every voice text scored): what it adds to a full load;
- the facts rebuild of ``--graph`` (a writable copy: its voices table is read) and
  ``themes`` in a fresh process, whole and by journey;
- themes fitted on ``--texts`` made-up texts (``--distinct`` of them distinct), against the
  peer: scikit-learn's plain ``NMF.fit_transform`` over every distinct text.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load as load_bench

TARGET_SECONDS = 10.0
LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "sentiment_labelled.csv"


def made_up_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` remarks of two or three sentences of the labelled set, nearly all distinct."""
    import numpy as np
    import pandas as pd

    sentences = pd.read_csv(LABELLED)["text"].to_numpy(dtype=object)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sentences), size=(n, 3))
    third = rng.random(n) < 0.5
    return [
        f"{sentences[a]} {sentences[b]}" + (f" {sentences[c]}" if t else "")
        for (a, b, c), t in zip(picks, third, strict=True)
    ]


def vader_rate(distinct: int) -> dict[str, Any]:
    import pandas as pd

    from graph360.ingest import sentiment

    texts = pd.Series(made_up_texts(distinct))
    started = time.perf_counter()
    sentiment.score(texts)
    seconds = time.perf_counter() - started
    return {
        "texts": len(texts),
        "distinct": int(texts.nunique()),
        "seconds": seconds,
        "texts_per_second": len(texts) / seconds,
    }


def load_step(bundle: Path) -> dict[str, Any]:
    """The load's "score sentiment" step on the bundle's touchpoints, the source's sentiment
    removed (as ``prepare_batch`` runs it on a first load: every row is new)."""
    import duckdb
    import numpy as np

    from graph360.ingest import sentiment

    started = time.perf_counter()
    frame = duckdb.sql(
        f"SELECT kind, text FROM read_csv('{bundle / 'touchpoints.csv'}', all_varchar=true)"
    ).df()
    read = time.perf_counter() - started
    frame["sentiment"] = np.nan
    started = time.perf_counter()
    out = sentiment.annotate(frame)
    seconds = time.perf_counter() - started
    voices = frame["kind"].isin(sentiment.VOICE_KINDS) & frame["text"].notna()
    return {
        "touchpoints": len(frame),
        "voice_texts": int(voices.sum()),
        "distinct_voice_texts": int(frame.loc[voices, "text"].nunique()),
        "scored": int(out["sentiment_computed"].notna().sum()),
        "seconds": seconds,
        "read_seconds_not_counted": read,
    }


def fit_child(texts: int, distinct: int) -> None:
    import numpy as np
    import sklearn.decomposition  # imported before the clock starts, as for the peer
    import sklearn.feature_extraction.text  # noqa: F401

    from graph360.analytics.themes import fit_themes

    pool = made_up_texts(distinct, seed=1)
    rng = np.random.default_rng(2)
    rows = rng.integers(0, distinct, size=texts)
    started = time.perf_counter()
    used, counts = np.unique(rows, return_counts=True)
    fitted = fit_themes([pool[i] for i in used], counts, 8)
    ours = time.perf_counter() - started
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    started = time.perf_counter()
    vectorizer = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True)
    matrix = vectorizer.fit_transform([pool[i] for i in used])
    NMF(n_components=8, init="nndsvda", random_state=0, max_iter=500).fit_transform(matrix)
    peer = time.perf_counter() - started
    print(
        json.dumps(
            {
                "texts": texts,
                "distinct": len(used),
                "fitted_on": fitted.fitted_on,
                "seconds": ours,
                "peer_seconds": peer,
                "ratio": ours / peer,
                "peak_rss_bytes": _peak(),
            }
        )
    )


def graph_child(graph: Path, what: str) -> None:
    from graph360 import facts
    from graph360.analytics.themes import themes
    from graph360.facts.tables import VOICES
    from graph360.store import open_store

    store = open_store(str(graph))
    started = time.perf_counter()
    if what == "facts rebuild":
        answer = facts.refresh(store)
        steps = answer.seconds
        extra = {"voices": answer.tables[VOICES].num_rows}
    elif what == "mood":
        from graph360.analytics.mood import step_moods

        moods = step_moods(store)
        steps = {}
        extra = {"steps_with_mood": len(moods)}
    elif what.startswith("funnel:"):
        from graph360.analytics.journeys import journey_funnel

        _, journey, *segment = what.split(":")
        found = journey_funnel(store, journey, segment=segment[0] if segment else None)
        steps, extra = {}, {"customers": found.customers}
    elif what == "silence":
        from graph360.analytics.silence import silence

        found = silence(store)
        steps = {}
        extra = {
            "public_voices": found.public_voices,
            "unanswered": found.unanswered,
            "silent_churn": found.silent_churn,
        }
    elif what == "card silence":
        import numpy as np

        from graph360 import facts
        from graph360.analytics.silence import customer_silence
        from graph360.periods import utc_now
        from graph360.privacy import OPERATOR

        keys = facts.current(store).keys("customers")
        ids = [str(k) for k in np.random.default_rng(3).choice(keys, size=50, replace=False)]
        times = []
        for customer_id in ids:
            begun = time.perf_counter()
            rows = store.query("customer_silence", customer_id=customer_id)
            customer_silence(rows, utc_now(), OPERATOR)
            times.append(time.perf_counter() - begun)
        times.sort()
        steps = {"p50_ms": 1000 * times[len(times) // 2], "max_ms": 1000 * times[-1]}
        extra = {"customers": len(ids)}
    elif what.startswith("feedback:"):
        from graph360.analytics.feedback import feedback

        found = feedback(store, by=what.split(":", 1)[1])
        steps = {}
        extra = {"units": len(found.units), "without_unit": found.without_unit}
    elif what.startswith("channels:"):
        from graph360.analytics.channels import multichannel

        found = multichannel(store, what.split(":", 1)[1])
        steps = {}
        extra = {
            "customers": found.customers,
            "share_multichannel": found.share_multichannel,
            "test": found.test,
            "p_value": found.p_value,
        }
    elif what == "audit":
        from graph360.analytics.ownership.audit import ownership_audit

        ownership_audit(store)
        steps, extra = {}, {}
    elif what.startswith("audit:"):
        from graph360.analytics.ownership.audit import ownership_audit

        found = ownership_audit(store, segment=what.split(":", 1)[1])
        steps, extra = {}, {"stuck_at_gaps": found.summary["customers_stuck_at_gaps"]}
    elif what == "coverage":
        from graph360.analytics.coverage import coverage

        found = coverage(store)
        steps = {}
        extra = {
            "customers": found.customers,
            "single_system": found.single_system,
            "steps_without_data": found.steps_without_data,
            "systems": [(s.source, s.customers, s.only_here) for s in found.systems],
        }
    else:
        journey = what.split(":", 1)[1] if ":" in what else None
        report = themes(store, journey=journey)
        steps = report.seconds
        extra = {
            "texts": report.texts,
            "distinct": report.distinct_texts,
            "themes": [(t.label, t.volume, t.share_negative) for t in report.themes],
        }
    seconds = time.perf_counter() - started
    store.close()
    print(json.dumps({"seconds": seconds, "steps": steps, **extra, "peak_rss_bytes": _peak()}))


def _peak() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path)
    parser.add_argument("--graph", type=Path, help="a writable copy of the 1M/10M graph")
    parser.add_argument("--texts", type=int, default=2_000_000)
    parser.add_argument("--distinct", type=int, default=200_000)
    parser.add_argument("--journey", default="buy")
    parser.add_argument("--segment", default="standard", help="for the one-segment measures")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--skip-texts", action="store_true", help="only the graph's measures")
    parser.add_argument("--only", nargs="+", help="only these graph measures (child names)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "fit":
            fit_child(int(rest[0]), int(rest[1]))
        else:
            graph_child(Path(rest[0]), rest[1])
        return 0
    results: dict[str, Any] = {"machine": load_bench.machine(), "code": load_bench.code_version()}
    if args.graph:  # a graph loaded before computed sentiment gains its columns on a first open
        from graph360.store import open_store

        started = time.perf_counter()
        open_store(str(args.graph)).close()
        results["open (schema migration)"] = time.perf_counter() - started
    print(json.dumps(results["machine"]))

    def report(name: str, figures: dict[str, Any], target: float | None = TARGET_SECONDS) -> None:
        results[name] = figures
        verdict = ""
        if target is not None:
            verdict = "met" if figures["seconds"] <= target else "MISSED"
            verdict = f" (target {target:.0f} s: {verdict})"
        print(f"{name}: {figures['seconds']:.2f} s{verdict} {json.dumps(figures, default=str)}")

    if not args.skip_texts:
        report("vader, distinct texts", vader_rate(args.distinct), None)
        if args.bundle:
            report("load step: score sentiment", load_step(args.bundle), None)
        report(
            f"themes fit, {args.texts:,} texts",
            _child("fit", str(args.texts), str(args.distinct)),
        )
    if args.graph:
        measures = [
            ("facts rebuild", "facts rebuild", None),
            ("themes", "themes", TARGET_SECONDS),
            (f"themes --journey {args.journey}", f"themes:{args.journey}", TARGET_SECONDS),
            ("mood at every step", "mood", TARGET_SECONDS),
            (f"funnel {args.journey} (with its mood)", f"funnel:{args.journey}", TARGET_SECONDS),
            ("audit (with its mood)", "audit", TARGET_SECONDS),
            (
                f"funnel {args.journey} --segment {args.segment}",
                f"funnel:{args.journey}:{args.segment}",
                TARGET_SECONDS,
            ),
            (f"audit --segment {args.segment}", f"audit:{args.segment}", TARGET_SECONDS),
            ("coverage", "coverage", TARGET_SECONDS),
            ("silence", "silence", TARGET_SECONDS),
            ("card's silence section, 50 customers", "card silence", None),
            ("feedback by department", "feedback:department", TARGET_SECONDS),
            ("feedback by agent", "feedback:agent", TARGET_SECONDS),
            (f"channels {args.journey}", f"channels:{args.journey}", TARGET_SECONDS),
        ]
        for name, child, target in measures:
            if args.only is None or child in args.only:
                report(name, _child("graph", str(args.graph), child), target)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
