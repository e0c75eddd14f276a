"""The matching model: Splink's comparisons trained without labels, and their term frequencies."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import duckdb

from graph360.errors import Graph360Error
from graph360.matching.blocking import BLOCKING

log = logging.getLogger(__name__)

#: The fewest records the model trains on: EM without labels needs pairs of every kind.
MIN_TRAINING_RECORDS = 100
#: The blocks expectation maximisation learns m on, in order of preference; the first two that
#: converge are used (each leaves the fields it does not block on free to learn, and two on
#: different fields train every comparison). Not the postcode or the address: a block of
#: people at one address is mostly households, and EM would learn "same household" for "same
#: person". A name block can fail where every same-name pair of different people has another
#: birth date (the demo): that level's m falls to zero, which Splink refuses.
EM_BLOCKS = (("birth_date",), ("first_name", "city"), ("full_name",), ("first3", "surname3"))


class MatchingError(Graph360Error):
    """The matching cannot run on this graph (too few records to train on, or training found
    no pairs to learn from); nothing was written."""


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

    records = count_rows(con, table)
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
    return Model(trained_settings, frequencies, int(count_rows(con, table)), floor)


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


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
