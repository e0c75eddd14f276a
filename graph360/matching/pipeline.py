"""One matching run: records, model, scores; then each pair merged, queued or dropped."""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from graph360 import facts, merges
from graph360.errors import InvalidRequestError
from graph360.matching.blocking import features, typed_records
from graph360.matching.merging import merge_pairs
from graph360.matching.reviewing import enqueue
from graph360.matching.scoring import predict
from graph360.matching.training import Model, count_rows, term_frequencies, train
from graph360.periods import utc_now
from graph360.store.base import GraphStore, plain

#: Probabilities at or above which a pair merges, and at or above which it is reviewed.
DEFAULT_AUTO = 0.99
DEFAULT_REVIEW = 0.80
#: The name of the stored model (one per graph).
MODEL_NAME = "default"
#: How many typing slips (Damerau-Levenshtein on YYYY-MM-DD) two birth dates may differ by and
#: still be one person's (see ``birth_dates_disagree``).
BIRTH_DATE_SLIPS = 2


def check_thresholds(auto: float, review: float) -> None:
    """Both are probabilities and a review threshold above the automatic one makes no sense."""
    for name, value in (("--auto", auto), ("--review", review)):
        if not (isinstance(value, int | float) and 0.0 < value <= 1.0) or math.isnan(value):
            raise InvalidRequestError(f"{name} must be a probability in (0, 1], got {value!r}")
    if review > auto:
        raise InvalidRequestError(
            f"--review ({review}) must not be above --auto ({auto}): pairs between them are "
            "reviewed"
        )


@dataclass
class MatchReport:
    """What one ``match`` run did, for the CLI and its JSON."""

    records: int
    new_records: int
    incremental: bool
    trained: bool
    pairs: int
    merged_pairs: int
    merged_customers: int
    queued: int
    dropped_never_merge: int
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "seconds": {k: round(v, 2) for k, v in self.seconds.items()}}


def cache_path(store: GraphStore) -> Path | None:
    """Where the features of the records matched so far are kept beside an embedded database
    (``graph.lbug.match/records.parquet``), so a later run reads only the new records from the
    graph. A server store (Neo4j) has no folder beside it: there the stored records are read
    from the server again."""
    if store.backend != "ladybug":
        return None
    location = Path(store.location)
    return location.with_name(location.name + ".match") / "records.parquet"


def stored_model(store: GraphStore) -> tuple[Model, dt.datetime] | None:
    """The stored model and when matching last ran, if it ever did."""
    rows = store.query("match_model", model_name=MODEL_NAME)
    if not rows or not rows[0]["model"]:
        return None
    return Model.from_json(rows[0]["model"]), plain(rows[0]["matched_at"])


def run(
    store: GraphStore,
    *,
    auto: float = DEFAULT_AUTO,
    review: float = DEFAULT_REVIEW,
    retrain: bool = False,
    full: bool = False,
    who: str = "graph360 match",
) -> MatchReport:
    """Match the store's records: all of them the first time (or with ``full``), else only the
    records loaded since the last run against the ones matched before. Pairs at or above
    ``auto`` merge, pairs from ``review`` up to ``auto`` join the review queue."""
    check_thresholds(auto, review)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = seconds.get(name, 0.0) + now - clock
        clock = now

    started_at = utc_now()
    found = None if retrain else stored_model(store)
    cache = cache_path(store)
    con = duckdb.connect()
    incremental = found is not None and not full
    if incremental:
        model, since = found  # type: ignore[misc]
        new = store.frame("match_records_since", since=since)
        lap("read")
        if new.empty:
            return MatchReport(0, 0, True, False, 0, 0, 0, 0, 0, seconds)
        con.register("__new_raw", typed_records(new))
        features(con, "__new_raw", "added")
        if cache is not None and cache.exists():
            con.execute(f"CREATE TABLE stored AS SELECT * FROM read_parquet('{cache}')")
            con.execute("DELETE FROM stored WHERE unique_id IN (SELECT unique_id FROM added)")
        else:
            everything = store.frame("match_records")
            con.register("__all_raw", typed_records(everything))
            features(con, "__all_raw", "stored")
            con.execute("DELETE FROM stored WHERE unique_id IN (SELECT unique_id FROM added)")
        lap("features")
        pairs = predict(con, "stored", model, review=review, new="added")
        lap("predict")
        con.execute("CREATE TABLE everything AS SELECT * FROM stored UNION ALL SELECT * FROM added")
        records, new_records, trained = count_rows(con, "everything"), len(new), False
    else:
        everything = store.frame("match_records")
        lap("read")
        con.register("__all_raw", typed_records(everything))
        features(con, "__all_raw", "everything")
        lap("features")
        trained = found is None
        if trained:
            model = train(con, "everything")
            lap("train")
        else:
            model = found[0]  # type: ignore[index]
            model.term_frequencies, model.tf_floor = term_frequencies(con, "everything")
        pairs = predict(con, "everything", model, review=review)
        lap("predict")
        records = new_records = len(everything)

    frame = _current_customers(store, pairs.frame)
    frame = frame[frame["customer_a"] != frame["customer_b"]]
    before = len(frame)
    frame = frame[~forbidden_pairs(store, frame)]
    dropped = before - len(frame)
    sure = frame["probability"] >= auto
    conflicted = sure & birth_dates_disagree(store, con, frame)
    merging = frame[sure & ~conflicted]
    queued = frame[~sure | conflicted]
    lap("filter")
    with store.atomic():
        store.write("forget_last_load")
        facts.bump_version(store)
        merged = merge_pairs(store, merging, who=who)
        added = enqueue(store, queued, started_at)
        store.write(
            "match_model_save",
            model_name=MODEL_NAME,
            model=model.to_json(),
            trained_at=started_at if trained else _trained_at(store) or started_at,
            matched_at=started_at,
        )
    lap("write")
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY everything TO '{cache}' (FORMAT parquet)")
        lap("cache")
    con.close()
    return MatchReport(
        records=records,
        new_records=new_records,
        incremental=incremental,
        trained=trained,
        pairs=len(frame),
        merged_pairs=len(merging),
        merged_customers=merged,
        queued=added,
        dropped_never_merge=dropped,
        seconds=seconds,
    )


def _trained_at(store: GraphStore) -> dt.datetime | None:
    rows = store.query("match_model", model_name=MODEL_NAME)
    return plain(rows[0]["trained_at"]) if rows else None


def _current_customers(store: GraphStore, frame: pd.DataFrame) -> pd.DataFrame:
    """The pairs with each record's customer as the graph holds it now."""
    if frame.empty:
        return frame
    keys = pd.unique(np.concatenate([frame["record_a"], frame["record_b"]])).tolist()
    rows = store.query("match_record_customers", keys=keys)
    customer = {row["record_key"]: row["customer_id"] for row in rows}
    frame = frame.assign(
        customer_a=frame["record_a"].map(customer), customer_b=frame["record_b"].map(customer)
    )
    return frame.dropna(subset=["customer_a", "customer_b"])


def birth_dates_disagree(
    store: GraphStore, con: duckdb.DuckDBPyConnection, frame: pd.DataFrame
) -> pd.Series:
    """Whether each pair is a household's, not one person's: its two records give the same
    address while their customers' birth dates clearly disagree (both
    give one, and no date of one is within ``BIRTH_DATE_SLIPS`` typing slips of a date of the
    other: ``1984-03-12`` and ``1984-03-21`` agree, ``1972-11-11`` and ``2000-01-07`` do not).

    One name at one address with birth dates a generation apart is a parent and child far more
    often than one person, and the model cannot tell: name, address, postcode and city all
    agree. That is conflicting evidence, so such a pair is reviewed, never merged on its own
    (the rule deterministic links follow for first names, graph360.ingest.identity). The dates
    are the customers' (all their records'), so a record without a birth date cannot bridge a
    parent and child either. Records at different addresses with different dates are left to
    the model (a mistyped date; a postcode alone is a neighbourhood, not a home: on FEBRL3 the
    postcode test sent 3% of the true pairs to review, the address test 0.5%).
    """
    if frame.empty:
        return pd.Series(False, index=frame.index)
    customers = pd.unique(np.concatenate([frame["customer_a"], frame["customer_b"]])).tolist()
    rows = store.query("match_customer_birth_dates", customer_ids=customers)
    dates = pd.DataFrame(rows, columns=["customer_id", "birth_date"])
    dates["birth_date"] = pd.to_datetime(dates["birth_date"]).dt.strftime("%Y-%m-%d")
    con.register("__dates", dates.drop_duplicates())
    con.register(
        "__pairs",
        frame[["record_a", "record_b", "customer_a", "customer_b"]].reset_index(names="row"),
    )
    clash = con.execute(
        f"""
        WITH home AS (
            SELECT p.row, p.customer_a, p.customer_b FROM __pairs p
            JOIN everything ra ON ra.unique_id = p.record_a
            JOIN everything rb ON rb.unique_id = p.record_b
            WHERE ra.address = rb.address
        ), a AS (
            SELECT h.row, d.birth_date FROM home h JOIN __dates d ON d.customer_id = h.customer_a
        ), b AS (
            SELECT h.row, d.birth_date FROM home h JOIN __dates d ON d.customer_id = h.customer_b
        )
        SELECT a.row FROM a JOIN b ON a.row = b.row
        GROUP BY a.row
        HAVING min(damerau_levenshtein(a.birth_date, b.birth_date)) > {BIRTH_DATE_SLIPS}
        """
    ).fetchall()
    con.unregister("__dates")
    con.unregister("__pairs")
    return pd.Series(frame.index.isin([row for (row,) in clash]), index=frame.index)


def forbidden_pairs(store: GraphStore, frame: pd.DataFrame) -> pd.Series:
    """Whether a never-merge rule (graph360.merges) keeps each pair's customers apart: one
    holds a record of the rule's one side, the other a record of its other side. Rules are few
    (one per split), so their records' customers are looked up, not every customer's records."""
    rules = merges.never_merge_rules(store)
    if not rules or frame.empty:
        return pd.Series(False, index=frame.index)
    keys = sorted({key for a, b in rules for key in a | b})
    rows = store.query("match_record_customers", keys=keys)
    owner = {r["record_key"]: r["customer_id"] for r in rows}
    apart: set[frozenset[str]] = set()
    for a, b in rules:
        for x in {owner[k] for k in a if k in owner}:
            for y in {owner[k] for k in b if k in owner}:
                if x != y:
                    apart.add(frozenset((x, y)))
    return pd.Series(
        [
            frozenset(pair) in apart
            for pair in zip(frame["customer_a"], frame["customer_b"], strict=True)
        ],
        index=frame.index,
        dtype=bool,
    )
