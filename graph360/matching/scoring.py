"""Scoring record pairs with a trained model: a probability and each field's match weight."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from graph360.matching.blocking import FIELDS
from graph360.matching.training import Model, _linker


@dataclass
class Pairs:
    """The scored pairs of one run, above the review threshold, one row per record pair.

    ``frame`` columns: ``record_a``, ``record_b`` (record keys, ``a < b``), ``customer_a``,
    ``customer_b``, ``probability``, ``evidence`` (a JSON object: each field's match weight,
    log2 of its Bayes factor with the term-frequency adjustment folded in).
    """

    frame: pd.DataFrame
    compared: int
    seconds: dict[str, float] = field(default_factory=dict)

    def at_least(self, probability: float) -> pd.DataFrame:
        return self.frame[self.frame["probability"] >= probability]

    def between(self, low: float, high: float) -> pd.DataFrame:
        probability = self.frame["probability"]
        return self.frame[(probability >= low) & (probability < high)]


def _register_tf(con: duckdb.DuckDBPyConnection, linker: Any, db_api: Any, model: Model) -> None:
    """Give Splink the stored term frequencies instead of computing them from this batch."""
    floor = model.tf_floor
    for column, values in model.term_frequencies.items():
        frame = pd.DataFrame({column: list(values), f"tf_{column}": list(values.values())})
        present = con.execute(f"SELECT DISTINCT {column} FROM __batch").fetchdf()[column]
        missing = set(present.dropna()) - set(values)
        if missing:
            extra = pd.DataFrame({column: sorted(missing), f"tf_{column}": floor[column]})
            frame = pd.concat([frame, extra], ignore_index=True)
        linker.table_management.register_term_frequency_lookup(db_api.register(frame), column)


#: Each field's match weight in a pair: its level's weight plus the term-frequency adjustment,
#: in bits (log2 of the Bayes factor); the fields without TF adjustment have no such column.
_TF_FIELDS = ("name", "postcode", "address", "city")
_EVIDENCE_SQL = ", ".join(
    f"'{name}': round(mw_{name}"
    + (f" + coalesce(mw_tf_adj_{name}, 0)" if name in _TF_FIELDS else "")
    + ", 2)"
    for name in FIELDS
)


def _pairs_sql(predictions: str) -> str:
    """The scored pairs across customers, record keys in order, with their evidence."""
    return f"""
        SELECT least(unique_id_l, unique_id_r) AS record_a,
               greatest(unique_id_l, unique_id_r) AS record_b,
               CASE WHEN unique_id_l < unique_id_r THEN customer_id_l ELSE customer_id_r END
                   AS customer_a,
               CASE WHEN unique_id_l < unique_id_r THEN customer_id_r ELSE customer_id_l END
                   AS customer_b,
               match_probability AS probability,
               to_json({{{_EVIDENCE_SQL}}})::VARCHAR AS evidence
        FROM {predictions}
        WHERE customer_id_l IS DISTINCT FROM customer_id_r
    """


def predict(
    con: duckdb.DuckDBPyConnection,
    table: str,
    model: Model,
    *,
    review: float,
    new: str | None = None,
) -> Pairs:
    """Score the pairs of ``table`` (or, with ``new``, those between ``table`` and ``new``, and
    within ``new``) at or above ``review``."""

    started = time.perf_counter()
    db_api, linker = _linker(con, table, model.settings)
    if new is None:
        predictions = linker.inference.predict(
            threshold_match_probability=review, warning_mode="never"
        )
        frames = [con.execute(_pairs_sql(predictions.physical_name)).fetchdf()]
    else:
        # Both sides weigh a value by the frequencies the model was trained with.
        con.execute(
            f"CREATE OR REPLACE VIEW __batch AS SELECT * FROM {table} UNION ALL SELECT * FROM {new}"
        )
        _register_tf(con, linker, db_api, model)
        stored, added = db_api.register(table), db_api.register(new)
        between = linker.inference.predict_between(
            stored, added, threshold_match_probability=review, warning_mode="never"
        )
        within = linker.inference.predict_within(
            added, threshold_match_probability=review, warning_mode="never"
        )
        frames = [
            con.execute(_pairs_sql(between.physical_name)).fetchdf(),
            con.execute(_pairs_sql(within.physical_name)).fetchdf(),
        ]
    frame = pd.concat(frames, ignore_index=True).drop_duplicates(["record_a", "record_b"])
    frame = frame.sort_values(["record_a", "record_b"], ignore_index=True)
    return Pairs(frame, compared=len(frame), seconds={"predict": time.perf_counter() - started})
