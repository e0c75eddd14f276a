"""Probabilistic matching: records of one person that share no identifier, found by Splink.

The deterministic rules (``graph360.ingest.identity``) link records that share a source id, an
e-mail or a phone. Records of one person that share none of these (the CRM has a phone, the shop
an e-mail, the support desk a name and postcode; or the same name with a typo) never meet there.
This module compares them by what they say about the person: the name (typos, first and last
swapped, nicknames from the ``nicknames`` package's hand-curated list), birth date, address,
postcode and city, with Splink 5 on DuckDB (the field's reference library: Fellegi-Sunter
weights trained without labels by expectation maximisation, with term-frequency adjustments, so
a shared rare surname weighs more than a shared "Smith").

How one run goes (``match``):

1. **Records.** Every source record with its customer (named queries ``match_records*``): the
   name, address and postcode as the record typed them; birth date and city from its customer
   (the record does not keep them).
2. **Features** (DuckDB SQL, column-wise): names lower-cased, accents and titles dropped, split
   into first and last; the first name's canonical forms (``bill`` -> ``william``); postcodes
   without spaces; addresses without punctuation.
3. **Model.** Trained on these records unless one is stored: u from random pairs, m by EM on
   two blocks (same full name; same birth date), the prior from exact name-and-birth-date
   pairs. The trained model (Splink's JSON) and its term-frequency tables are kept in the store
   (``MatchModel``), so later records are scored by the same weights.
4. **Pairs.** Only pairs that share a blocking key are compared (``BLOCKING``: each key is
   narrow enough that 1,000,000 records give tens of millions of pairs, not 10^12, and together
   they still meet a record whose name, date or postcode has a typo). A pair of records already
   of one customer, or marked never-merge, is left out.
5. **Decision.** A pair at or above ``auto`` merges the two customers; between ``review`` and
   ``auto`` it goes to the review queue (``ReviewPair`` nodes); below ``review`` it is dropped.
   Each decision keeps the probability and every field's match weight (the evidence).

**Incremental.** Records loaded after the last run (``SourceRecord.loaded_at`` past the model's
``matched_at``) are matched against the stored ones: their blocking keys are looked up by key
(``MatchKey`` nodes, one per distinct key value, written by every run for the records it saw),
so the stored records compared are only those that share a key with a new one, and the cost
follows the new records, not the graph.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graph360 import facts, merges
from graph360 import model as graph_model
from graph360.errors import Graph360Error, InvalidRequestError, NotFoundError
from graph360.periods import utc_now
from graph360.store.base import GraphStore, plain

#: Probabilities at or above which a pair merges, and at or above which it is reviewed.
DEFAULT_AUTO = 0.99
DEFAULT_REVIEW = 0.80
#: The rule a probabilistic link carries (IDENTIFIED_BY.rule, the merge log).
RULE = "probabilistic"
#: The fields compared, in the order the evidence lists them.
FIELDS = ("name", "birth_date", "postcode", "address", "city")
#: The name of the stored model (one per graph).
MODEL_NAME = "default"

#: Words before a name that are not one (as identity.py's, for the same reason).
_TITLES = r"^(?:(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|rev)\s+)+"

#: Blocking rules that generate the compared pairs: (left columns, right columns), a pair is
#: compared when ``l.left[i] = r.right[i]`` for every i of some rule. Each one alone is narrow;
#: together a pair is met when any one agrees, so typos in one or two fields still leave others
#: to meet through. Chosen greedily for FEBRL3's true pairs reached (99.3% together) per pair
#: generated on a 100,000-record set drawn from FEBRL's vocabulary (295,000 pairs), among rules
#: of two or three fields (bench/matching.py; docs/DECISIONS.md).
BLOCKS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = tuple(
    (columns, columns) if not isinstance(columns[0], tuple) else columns  # type: ignore[misc]
    for columns in (
        ("postcode", "birth_date"),
        ("first3", "surname3", "street_no"),
        ("street", "birth_date"),
        ("city", "birth_date"),
        ("postcode", "street"),
        ("first3", "city", "surname1"),
        ("surname3", "birth_date"),
        (("first3", "surname3"), ("surname3", "first3")),  # first and last swapped
        ("street_no", "birth_date"),
        ("postcode", "surname3", "first1"),
        ("street_no", "city"),
        ("surname3", "street"),
        ("postcode", "surname3"),
        ("birth_date", "first_name"),
        ("first3", "street_no", "street"),
        ("postcode", "street_no"),
    )
)
BLOCKING = tuple(
    " AND ".join(f"l.{x} = r.{y}" for x, y in zip(left, right, strict=True))
    for left, right in BLOCKS
)
#: The columns of the records a run reads (named query ``match_records``).
RECORD_COLUMNS = (
    "record_key",
    "customer_id",
    "name",
    "birth_date",
    "address",
    "postcode",
    "city",
)

#: From this many merges in one run on, they are written in batches (``_merge_in_bulk``).
BULK_MERGES = 500
#: The fewest records the model trains on: EM without labels needs pairs of every kind.
MIN_TRAINING_RECORDS = 100
#: How many typing slips (Damerau-Levenshtein on YYYY-MM-DD) two birth dates may differ by and
#: still be one person's (see ``birth_dates_disagree``).
BIRTH_DATE_SLIPS = 2
#: The blocks expectation maximisation learns m on, in order of preference; the first two that
#: converge are used (each leaves the fields it does not block on free to learn, and two on
#: different fields train every comparison). Not the postcode or the address: a block of
#: people at one address is mostly households, and EM would learn "same household" for "same
#: person". A name block can fail where every same-name pair of different people has another
#: birth date (the demo): that level's m falls to zero, which Splink refuses.
EM_BLOCKS = (("birth_date",), ("first_name", "city"), ("full_name",), ("first3", "surname3"))

log = logging.getLogger(__name__)


class MatchingError(Graph360Error):
    """The matching cannot run on this graph (too few records to train on, or training found
    no pairs to learn from); nothing was written."""


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


# --- features ------------------------------------------------------------------------------


@cache
def _nickname_table() -> pd.DataFrame:
    """Every name of the ``nicknames`` list with its canonical forms (itself included).

    The list is hand-curated English names (``bill``, ``billy``, ``will`` -> ``william``); a name
    it does not hold is its own only canonical form, so the comparison falls back to spelling.
    """
    import nicknames  # a data package: read once, when matching first runs

    rows = [(t.name2, t.name1) for t in nicknames.name_triplets()]
    rows += [(t.name1, t.name1) for t in nicknames.name_triplets()]
    return pd.DataFrame(rows, columns=["name", "canonical"]).drop_duplicates()


def features(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Create table ``target`` from the records in relation ``source`` (``RECORD_COLUMNS``):
    one row per record, the columns Splink compares and blocks on."""
    con.register("__nick", _nickname_table())
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {target} AS
        WITH cleaned AS (
            SELECT record_key, customer_id,
                regexp_replace(
                    regexp_replace(
                        trim(regexp_replace(
                            regexp_replace(lower(strip_accents(coalesce(name, ''))),
                                           '[''`]', '', 'g'),
                                            '[^a-z]+', ' ', 'g')),
                        '{_TITLES}', ''),
                    '\\s+', ' ', 'g') AS clean_name,
                CAST(CAST(birth_date AS DATE) AS VARCHAR) AS birth_date,
                nullif(regexp_replace(upper(coalesce(postcode, '')), '[^A-Z0-9]', '', 'g'), '')
                    AS postcode,
                nullif(trim(regexp_replace(lower(strip_accents(coalesce(address, ''))),
                                           '[^a-z0-9]+', ' ', 'g')), '') AS address,
                nullif(trim(regexp_replace(lower(strip_accents(coalesce(city, ''))),
                                           '[^a-z]+', ' ', 'g')), '') AS city
            FROM {source}
        ), split AS (
            SELECT *, string_split(clean_name, ' ') AS tokens FROM cleaned
        ), named AS (
            SELECT record_key AS unique_id, customer_id, birth_date, postcode, address, city,
                CASE WHEN len(tokens) >= 2 THEN tokens[1] END AS first_name,
                nullif(tokens[len(tokens)], '') AS surname,
                left(birth_date, 4) AS birth_year, left(birth_date, 7) AS birth_month,
                CASE WHEN regexp_matches(address, '^[0-9]+ ')
                    THEN string_split(address, ' ')[1] END AS street_no,
                regexp_extract(address, '(^|\\s)([a-z][a-z0-9]*)', 2) AS street_raw
            FROM split
        ), forms AS (
            SELECT name, list(DISTINCT canonical ORDER BY canonical) AS forms
            FROM __nick GROUP BY name
        )
        SELECT named.* EXCLUDE (street_raw),
            nullif(street_raw, '') AS street,
            left(first_name, 3) AS first3, left(surname, 3) AS surname3,
            left(first_name, 1) AS first1, left(surname, 1) AS surname1,
            nullif(concat_ws(' ', first_name, surname), '') AS full_name,
            coalesce(forms.forms, CASE WHEN first_name IS NOT NULL THEN [first_name] END)
                AS first_name_forms
        FROM named LEFT JOIN forms ON forms.name = named.first_name
        """
    )
    con.unregister("__nick")


# --- the model -----------------------------------------------------------------------------


def settings() -> dict[str, Any]:
    """The Splink settings: the comparisons and the blocking rules (untrained)."""
    import splink.comparison_level_library as cll
    from splink import SettingsCreator
    from splink import comparison_library as cl

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.And(cll.NullLevel("first_name"), cll.NullLevel("surname")),
            cll.ExactMatchLevel("full_name").configure(tf_adjustment_column="full_name"),
            cll.ColumnsReversedLevel("first_name", "surname").configure(
                tf_adjustment_column="full_name"
            ),
            cll.And(
                cll.ExactMatchLevel("surname"),
                cll.Or(
                    cll.ArrayIntersectLevel("first_name_forms", 1),
                    cll.JaroWinklerLevel("first_name", 0.9),
                ),
            ).configure(tf_adjustment_column="surname"),
            cll.And(
                cll.JaroWinklerLevel("first_name", 0.88), cll.JaroWinklerLevel("surname", 0.88)
            ),
            cll.CustomLevel(
                "jaro_winkler_similarity(first_name_l, surname_r) >= 0.88 AND "
                "jaro_winkler_similarity(surname_l, first_name_r) >= 0.88",
                label_for_charts="Swapped, each within Jaro-Winkler 0.88",
            ),
            cll.ExactMatchLevel("surname").configure(tf_adjustment_column="surname"),
            cll.ExactMatchLevel("first_name").configure(tf_adjustment_column="first_name"),
            cll.ElseLevel(),
        ],
    )
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            name,
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.CustomComparison(
                output_column_name="postcode",
                comparison_levels=[
                    cll.NullLevel("postcode"),
                    cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"),
                    cll.DamerauLevenshteinLevel("postcode", 1),
                    cll.ElseLevel(),
                ],
            ),
            cl.CustomComparison(
                output_column_name="address",
                comparison_levels=[
                    cll.NullLevel("address"),
                    cll.ExactMatchLevel("address").configure(tf_adjustment_column="address"),
                    cll.JaroWinklerLevel("address", 0.9),
                    cll.And(cll.ExactMatchLevel("street_no"), cll.ExactMatchLevel("street")),
                    cll.JaroWinklerLevel("address", 0.75),
                    cll.ExactMatchLevel("street"),
                    cll.ElseLevel(),
                ],
            ),
            cl.JaroWinklerAtThresholds("city", [0.9]).configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=list(BLOCKING),
        additional_columns_to_retain=["customer_id"],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )
    return creator.get_settings("duckdb").as_dict()


#: Term-frequency columns (kept with the trained model, so later records weigh the same).
TF_COLUMNS = ("full_name", "surname", "first_name", "postcode", "address", "city")


@dataclass
class Model:
    """A trained model: Splink's settings JSON and the term frequencies it was trained with."""

    settings: dict[str, Any]
    #: column -> value -> frequency, for values at least MIN_CARRIERS records carry
    term_frequencies: dict[str, dict[str, float]]
    trained_on: int
    #: column -> the frequency of a value seen once: what every value not stored gets
    tf_floor: dict[str, float]

    def to_json(self) -> str:
        return json.dumps(
            {
                "settings": self.settings,
                "term_frequencies": self.term_frequencies,
                "trained_on": self.trained_on,
                "tf_floor": self.tf_floor,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Model:
        data = json.loads(text)
        frequencies = data["term_frequencies"]
        floor = data.get("tf_floor") or {
            column: min(values.values(), default=1.0) for column, values in frequencies.items()
        }
        return cls(data["settings"], frequencies, int(data["trained_on"]), floor)


def _linker(con: duckdb.DuckDBPyConnection, table: str, model_settings: dict[str, Any]) -> Any:
    from splink import DuckDBAPI, Linker

    # Splink reports each comparison level EM did not see as a warning on stderr; a level
    # unseen on one block is trained on another (EM_BLOCKS), so it is not the operator's news.
    logging.getLogger("splink").setLevel(logging.ERROR)

    db_api = DuckDBAPI(connection=con)
    frame = db_api.register(table)
    return db_api, Linker(frame, model_settings, log_level=None)


def train(con: duckdb.DuckDBPyConnection, table: str, *, seed: int = 1) -> Model:
    """Train the model on the records of ``table`` without labels.

    u (how often each level happens by chance) from random pairs; m (how often it happens for
    the same person) by expectation maximisation on two of ``EM_BLOCKS``; the prior from pairs
    that agree on full name and birth date, assumed to find 30% of the true pairs.
    """
    from splink.internals.exceptions import SplinkException

    records = _count(con, table)
    if records < MIN_TRAINING_RECORDS:
        raise MatchingError(
            f"matching trains its model on the graph's own records and needs at least "
            f"{MIN_TRAINING_RECORDS}; this graph has {records}"
        )
    try:
        return _train(con, table, seed)
    except (SplinkException, ZeroDivisionError, duckdb.Error) as error:
        raise MatchingError(
            f"the matching model could not be trained on these records: {error}"
        ) from error


def _train(con: duckdb.DuckDBPyConnection, table: str, seed: int) -> Model:
    from splink import block_on

    _, linker = _linker(con, table, settings())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("full_name", "birth_date")], recall=0.3
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    trained: list[str] = []
    for columns in EM_BLOCKS:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), record_sample_proportion=1.0, max_pairs=5e5
            )
        except ValueError as error:  # a level's m fell to 0 on this block: try the next one
            log.info("EM on the %s block did not converge: %s", columns, error)
            continue
        trained.append("+".join(columns))
        if len(trained) == 2:  # two blocks on different fields: every comparison is trained
            break
    if len(trained) < 2:
        raise MatchingError(
            "the matching model could not be trained on these records: expectation "
            f"maximisation converged on {len(trained)} of the blocks it needs two of"
        )
    trained_settings = linker.misc.save_model_to_json(out_path=None)
    frequencies, floor = term_frequencies(con, table)
    return Model(trained_settings, frequencies, int(_count(con, table)), floor)


#: A value fewer records carry is not stored in the model: a rare name, address or postcode
#: points at its person, and the model outlives that person's erasure (graph360.erasure).
MIN_CARRIERS = 5


def term_frequencies(
    con: duckdb.DuckDBPyConnection, table: str
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Each TF column's frequencies among ``table``'s records for the values at least
    MIN_CARRIERS records carry, and each column's floor: the frequency of a value seen once,
    which every value not stored gets (a rare value is strong evidence, as it should be)."""
    out: dict[str, dict[str, float]] = {}
    floor: dict[str, float] = {}
    for column in TF_COLUMNS:
        rows = con.execute(
            f"SELECT {column}, count(*) AS n, sum(count(*)) OVER () AS total FROM {table} "
            f"WHERE {column} IS NOT NULL GROUP BY {column}"
        ).fetchall()
        total = rows[0][2] if rows else 1
        floor[column] = 1.0 / float(total)
        out[column] = {value: n / float(total) for value, n, _ in rows if n >= MIN_CARRIERS}
    return out, floor


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


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
    import time

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


def merge_groups(frame: pd.DataFrame) -> list[list[str]]:
    """The customers each set of automatic pairs joins: connected components, each sorted (its
    first, the smallest id, survives, as for a deterministic bridge)."""
    if frame.empty:
        return []
    customers = pd.Index(pd.unique(np.concatenate([frame["customer_a"], frame["customer_b"]])))
    a = customers.get_indexer(frame["customer_a"])
    b = customers.get_indexer(frame["customer_b"])
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(customers), len(customers)))
    _, labels = connected_components(graph, directed=False)
    groups = pd.Series(customers).groupby(labels).agg(lambda ids: sorted(ids))
    return sorted((ids for ids in groups if len(ids) > 1), key=lambda ids: ids[0])


def pair_id(record_a: str, record_b: str) -> str:
    """The review queue's key of a record pair (order-free)."""
    low, high = sorted((record_a, record_b))
    return f"{low}|{high}"


# --- the store ----------------------------------------------------------------------------


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
        con.register("__new_raw", _typed(new))
        features(con, "__new_raw", "added")
        if cache is not None and cache.exists():
            con.execute(f"CREATE TABLE stored AS SELECT * FROM read_parquet('{cache}')")
            con.execute("DELETE FROM stored WHERE unique_id IN (SELECT unique_id FROM added)")
        else:
            everything = store.frame("match_records")
            con.register("__all_raw", _typed(everything))
            features(con, "__all_raw", "stored")
            con.execute("DELETE FROM stored WHERE unique_id IN (SELECT unique_id FROM added)")
        lap("features")
        pairs = predict(con, "stored", model, review=review, new="added")
        lap("predict")
        con.execute("CREATE TABLE everything AS SELECT * FROM stored UNION ALL SELECT * FROM added")
        records, new_records, trained = _count(con, "everything"), len(new), False
    else:
        everything = store.frame("match_records")
        lap("read")
        con.register("__all_raw", _typed(everything))
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


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The records with the columns features() reads, typed the same whatever the store gave
    (an empty answer has no columns)."""
    frame = frame.reindex(columns=list(RECORD_COLUMNS))
    for column in RECORD_COLUMNS:
        if column != "birth_date":
            frame[column] = frame[column].astype("string")
    frame["birth_date"] = pd.to_datetime(frame["birth_date"], errors="coerce")
    return frame


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


def merge_pairs(store: GraphStore, pairs: pd.DataFrame, *, who: str) -> int:
    """Merge the customers the pairs join (each group into its smallest id) through the merge
    log (graph360.merges: rule ``probabilistic``, the pair's records, probability and each
    field's match weight as evidence), and mark each folded customer's matched record with the
    pair's probability. Returns how many customers were folded in.

    Each merge goes in once its partner record already belongs to the survivor (a group of
    three joins one by one). A never-merge rule that only the group as a whole meets (A-B and
    B-C allowed, A-C not) refuses that one merge, which is then left out.
    """
    groups = merge_groups(pairs)
    if not groups:
        return 0
    survivors = {other: ids[0] for ids in groups for other in ids[1:]}
    if len(survivors) >= BULK_MERGES:
        return _merge_in_bulk(store, pairs, survivors, who=who)
    # every pair a folded customer has into its group, the most probable first
    ordered = pairs.sort_values(
        ["probability", "record_a", "record_b"], ascending=[False, True, True]
    )
    edges: dict[str, list[dict[str, Any]]] = {}
    for row in ordered.itertuples(index=False):
        for record, customer, partner, partner_customer in (
            (row.record_b, row.customer_b, row.record_a, row.customer_a),
            (row.record_a, row.customer_a, row.record_b, row.customer_b),
        ):
            if customer in survivors:
                edges.setdefault(customer, []).append(
                    {
                        "record": record,
                        "via": partner,
                        "via_customer": partner_customer,
                        "probability": float(row.probability),
                        "weights": json.loads(row.evidence),
                    }
                )
    now_in: dict[str, str] = {}  # a folded customer -> the survivor it is part of now
    links: list[dict[str, Any]] = []
    pending = sorted(survivors)
    while pending:
        left = []
        for customer in pending:
            survivor = survivors[customer]
            edge = next(
                (
                    e
                    for e in edges.get(customer, [])
                    if now_in.get(e["via_customer"], e["via_customer"]) == survivor
                ),
                None,
            )
            if edge is None:
                left.append(customer)
                continue
            try:
                merges.merge_customers(
                    store,
                    survivor,
                    customer,
                    rule=RULE,
                    evidence={
                        "record": edge["record"],
                        "via": edge["via"],
                        "probability": edge["probability"],
                        "weights": edge["weights"],
                    },
                    who=who,
                )
            except merges.NeverMergeError as error:
                log.info("not merged: %s", error)
                now_in[customer] = customer
                continue
            now_in[customer] = survivor
            links.append(
                {
                    "record_key": edge["record"],
                    "via": edge["via"],
                    "probability": edge["probability"],
                }
            )
        if len(left) == len(pending):  # the rest could only join through a refused merge
            break
        pending = left
    if links:
        store.write("match_link_records", links=links, rule=RULE, at=utc_now())
    return len(links)


def spanning_links(pairs: pd.DataFrame, survivors: dict[str, str]) -> dict[str, dict[str, Any]]:
    """For each folded customer, the pair that links it into its group: a tree grown from the
    survivor, the most probable pairs first, so every link's partner record is already in the
    group (two folded customers linked only to each other would come apart at the next load,
    which resolves a customer again from its links)."""
    ordered = pairs.sort_values(
        ["probability", "record_a", "record_b"], ascending=[False, True, True]
    )
    reached = set(survivors.values())
    chosen: dict[str, dict[str, Any]] = {}
    rows = list(ordered.itertuples(index=False))
    grew = True
    while grew:
        grew = False
        for row in rows:
            for record, customer, partner, partner_customer in (
                (row.record_b, row.customer_b, row.record_a, row.customer_a),
                (row.record_a, row.customer_a, row.record_b, row.customer_b),
            ):
                if (
                    customer in survivors
                    and customer not in chosen
                    and (partner_customer in reached)
                ):
                    chosen[customer] = {
                        "record": record,
                        "via": partner,
                        "probability": float(row.probability),
                        "weights": json.loads(row.evidence),
                    }
                    reached.add(customer)
                    grew = True
    return chosen


def _merge_in_bulk(
    store: GraphStore, pairs: pd.DataFrame, survivors: dict[str, str], *, who: str
) -> int:
    """The merges of a big run (the first match of a million records folds tens of thousands
    of customers) as a few batched writes: ``merge_customers`` one at a time costs about twenty
    statements a merge. The same outcome: the customers folded (``merge_nodes``, one batch per
    relationship type), each folded customer's matched record linked ``probabilistic`` through
    its partner, one merge-log entry per folded customer with the pair's evidence. What it does
    not do is fold each survivor's fields from its records again (survivorship): the survivor
    keeps its own, and the next load, which compares the customer as changed, folds them."""
    chosen = spanning_links(pairs, survivors)
    folded = store.frame("match_records_of_customers", customer_ids=sorted(survivors))
    records_of = (
        folded.groupby("customer_id")["record_key"].agg(sorted).to_dict() if len(folded) else {}
    )
    store.merge_nodes("Customer", survivors)
    links = [
        {"record_key": e["record"], "via": e["via"], "probability": e["probability"]}
        for e in chosen.values()
    ]
    now = utc_now()
    store.write("match_link_records", links=links, rule=RULE, at=now)
    stamp = f"{now:%Y%m%dT%H%M%S%f}"
    entries = pd.DataFrame(
        {
            "entry_id": [f"{stamp}-m{i:07d}" for i in range(len(chosen))],
            "kind": "merge",
            "at": pd.Timestamp(now),
            "who": who,
            "rule": RULE,
            "evidence": [json.dumps(e, sort_keys=True) for e in chosen.values()],
            "customer_id": [survivors[c] for c in chosen],
            "other_id": list(chosen),
            "records": [json.dumps(records_of.get(c, [chosen[c]["record"]])) for c in chosen],
        }
    )
    schema = graph_model.node("MergeLog").arrow_schema()
    store.upsert_nodes(
        "MergeLog", pa.Table.from_pandas(entries, schema=schema, preserve_index=False)
    )
    return len(links)


def enqueue(store: GraphStore, pairs: pd.DataFrame, now: dt.datetime) -> int:
    """Put the pairs in the review queue, except pairs already there (open, or decided: a
    rejected pair is never proposed again). Returns how many were added."""
    if pairs.empty:
        return 0
    ids = [pair_id(a, b) for a, b in zip(pairs["record_a"], pairs["record_b"], strict=True)]
    pairs = pairs.assign(pair_id=ids).drop_duplicates("pair_id")
    known = set(
        store.existing_keys("ReviewPair", pa.array(pairs["pair_id"], pa.string())).to_pylist()
    )
    pairs = pairs[~pairs["pair_id"].isin(known)]
    if pairs.empty:
        return 0
    node = graph_model.node("ReviewPair")
    rows = pd.DataFrame(
        {
            "pair_id": pairs["pair_id"],
            "record_a": pairs["record_a"],
            "record_b": pairs["record_b"],
            "probability": pairs["probability"].astype(float),
            "evidence": pairs["evidence"],
            "status": "open",
            "created_at": pd.Timestamp(now),
            "decided_at": pd.NaT,
            "decided_by": None,
        }
    )
    store.upsert_nodes(
        "ReviewPair", pa.Table.from_pandas(rows, schema=node.arrow_schema(), preserve_index=False)
    )
    sides = pd.concat(
        [
            pd.DataFrame({"from": pairs["pair_id"], "to": pairs["record_a"], "side": "a"}),
            pd.DataFrame({"from": pairs["pair_id"], "to": pairs["record_b"], "side": "b"}),
        ],
        ignore_index=True,
    )
    schema = graph_model.relationship("PROPOSES").arrow_schema()
    store.upsert_relationships(
        "PROPOSES", pa.Table.from_pandas(sides, schema=schema, preserve_index=False), new=True
    )
    return len(pairs)


# --- the review queue ----------------------------------------------------------------------


def review_queue(
    store: GraphStore, *, status: str = "open", first: int = 50, skip: int = 0
) -> list[dict[str, Any]]:
    """The queue's pairs with the given status, the most probable first."""
    if status not in REVIEW_STATUSES:
        raise InvalidRequestError(
            f"status must be one of {', '.join(REVIEW_STATUSES)}, got {status!r}"
        )
    if first < 1 or skip < 0:
        raise InvalidRequestError("first must be at least 1 and skip at least 0")
    rows = store.query("review_queue", status=status, skip=skip, limit=first)
    for row in rows:
        row["evidence"] = json.loads(row["evidence"]) if row["evidence"] else {}
        for key in ("created_at", "decided_at", "birth_date_a", "birth_date_b"):
            row[key] = plain(row[key])
    return rows


REVIEW_STATUSES = ("open", "accepted", "rejected")


def decide(store: GraphStore, pair: str, *, accept: bool, who: str) -> dict[str, Any]:
    """Accept (merge the two customers, logged with the pair's evidence) or reject (a
    never-merge rule between the two records: the pair is never proposed again, and loads keep
    them apart too) an open pair.

    Returns the pair as decided, with ``customer_id``: the customer kept (accept)."""
    rows = store.query("review_pair", pair_id=pair)
    if not rows:
        raise NotFoundError(f"no pair {pair!r} in the review queue")
    row = rows[0]
    if row["status"] != "open":
        raise InvalidRequestError(f"pair {pair!r} was already {row['status']}")
    now = utc_now()
    status = "accepted" if accept else "rejected"
    with store.atomic():
        store.write("forget_last_load")
        facts.bump_version(store)
        kept = None
        if accept and row["customer_a"] != row["customer_b"]:
            kept = min(row["customer_a"], row["customer_b"])
            a_kept = kept == row["customer_a"]
            record, via = (
                (row["record_b"], row["record_a"])
                if a_kept
                else (
                    row["record_a"],
                    row["record_b"],
                )
            )
            merges.merge_customers(  # a never-merge rule refuses it here, as one line
                store,
                kept,
                row["customer_b"] if a_kept else row["customer_a"],
                rule=RULE,
                evidence={
                    "record": record,
                    "via": via,
                    "probability": row["probability"],
                    "weights": json.loads(row["evidence"] or "{}"),
                    "reviewed": True,
                },
                who=who,
            )
            link = {"record_key": record, "via": via, "probability": row["probability"]}
            store.write("match_link_records", links=[link], rule=RULE, at=now)
        elif accept:
            kept = row["customer_a"]
        else:  # not one person: loads and matches keep them apart from now on
            merges.never_merge(store, [row["record_a"]], [row["record_b"]], who=who)
        store.write("review_decide", pair_id=pair, status=status, at=now, who=who)
    return {**row, "status": status, "customer_id": kept, "decided_by": who, "decided_at": now}


def identities(store: GraphStore) -> pd.DataFrame:
    """The identity graph: record_key, customer_id, rule, via, probability per source record."""
    frame = store.frame("identity_graph")
    return frame.reindex(columns=["record_key", "customer_id", "rule", "via", "probability"])
