"""The records matching compares: their features and the keys that block them into pairs."""

from __future__ import annotations

from functools import cache

import duckdb
import pandas as pd

#: The fields compared, in the order the evidence lists them.
FIELDS = ("name", "birth_date", "postcode", "address", "city")
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


def typed_records(frame: pd.DataFrame) -> pd.DataFrame:
    """The records with the columns features() reads, typed the same whatever the store gave
    (an empty answer has no columns)."""
    frame = frame.reindex(columns=list(RECORD_COLUMNS))
    for column in RECORD_COLUMNS:
        if column != "birth_date":
            frame[column] = frame[column].astype("string")
    frame["birth_date"] = pd.to_datetime(frame["birth_date"], errors="coerce")
    return frame
