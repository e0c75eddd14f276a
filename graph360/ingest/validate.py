"""Row rules: every rule a canonical row must keep, checked column-wise over whole frames.

A row that breaks any rule leaves the frame and becomes a ``Reject`` with every reason it
broke, joined with ``; ``. Nothing here touches the store: references to things already in
the graph are passed in as sets of known keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph360.ingest.bundle import (
    DATE,
    ERROR,
    INTEGER,
    LINE,
    NUMBER,
    ORIGIN,
    ROW_FACTS,
    TEXT,
    RawFile,
    Reject,
    raw_text,
)
from graph360.ingest.columns import text_array


class Checker:
    """Collects reasons per row of one file, then splits the frame into kept rows and rejects."""

    def __init__(self, raw: RawFile, frame: pd.DataFrame | None = None) -> None:
        self.raw = raw
        self.frame = raw.frame if frame is None else frame
        self.reasons = pd.Series("", index=self.frame.index, dtype="object")
        self.repeats = pd.Series(False, index=self.frame.index)

    def fail(self, mask: pd.Series | np.ndarray, reason: Reason) -> None:
        """Mark the rows in ``mask`` with ``reason``: one text, or a function that writes the
        text of each failing row from those rows (so a clean column of millions costs nothing).
        """
        mask = pd.Series(np.asarray(mask, dtype=bool), index=self.frame.index)
        if not mask.any():
            return
        if callable(reason):
            text = reason(self.frame[mask])
        elif isinstance(reason, pd.Series):
            text = reason[mask]
        else:
            text = reason
        if isinstance(text, pd.Series):
            text = text.to_numpy(dtype=object)
        current = self.reasons[mask]
        self.reasons[mask] = np.where(current == "", text, current + "; " + text)

    def split(self) -> tuple[pd.DataFrame, list[Reject]]:
        bad = self.reasons != ""
        dropped = bad | self.repeats
        if not dropped.any():  # the common case: no copy of a frame that may be millions long
            return self.frame, []
        return self.frame[~dropped], self.rejects_for(bad, self.reasons)

    def rejects_for(self, mask: pd.Series, reasons: pd.Series) -> list[Reject]:
        if not mask.any():
            return []
        rows = self.raw.frame.loc[mask[mask].index]  # as read, not as parsed
        columns = [c for c in rows.columns if c not in ROW_FACTS]
        raws = raw_text(rows, columns)
        origins = rows[ORIGIN] if ORIGIN in rows else pd.Series("", index=rows.index)
        return [
            Reject(self.raw.spec.name, int(line), str(reason), raw, str(origin or ""))
            for line, reason, raw, origin in zip(
                rows[LINE], reasons[mask], raws, origins.fillna(""), strict=True
            )
        ]


def typed(raw: RawFile) -> tuple[pd.DataFrame, list[Reject]]:
    """Check required values and parse dates and numbers; the kept rows come back typed."""
    checker = Checker(raw)
    frame = raw.frame.copy(deep=False)  # parsed columns replace, the others are shared
    if ERROR in frame:  # the source mapping could not read this row whole
        checker.fail(frame[ERROR].notna(), frame[ERROR].fillna(""))
    for column in raw.spec.columns:
        if column.name not in frame:
            # typed even when absent: an object column of nulls would later meet stored values
            # of the column's type (a customer's birth_date) and make a column of both
            frame[column.name] = pd.Series(None, index=frame.index, dtype=_EMPTY[column.kind])
            continue
        values = frame[column.name]
        if column.required:
            checker.fail(values.isna(), f"missing required value for {column.name}")
        if column.kind == DATE:
            parsed = parse_dates(values)
            checker.fail(
                values.notna() & parsed.isna(),
                quoting(f"unparseable date in {column.name}: ", column.name),
            )
            frame[column.name] = parsed
        elif column.kind in (NUMBER, INTEGER):
            parsed = parse_numbers(values)
            checker.fail(
                values.notna() & (parsed.isna() | ~np.isfinite(parsed.fillna(0))),
                quoting(f"not a number in {column.name}: ", column.name),
            )
            if column.kind == INTEGER:
                fractional = parsed.notna() & (parsed != parsed.round())
                checker.fail(
                    fractional, quoting(f"not a whole number in {column.name}: ", column.name)
                )
                parsed = parsed.round().astype("Int64")
            frame[column.name] = parsed
    checker.frame = frame
    return checker.split()


Reason = str | pd.Series | Callable[[pd.DataFrame], pd.Series | str]
#: The dtype of a column a file does not have, by its kind (what parsing it would have given).
_EMPTY = {DATE: "datetime64[us]", NUMBER: "float64", INTEGER: "Int64", TEXT: "object"}


def quoted(values: pd.Series) -> pd.Series:
    return "'" + values.astype("string").fillna("").str.slice(0, 60) + "'"


def quoting(prefix: str, column: str) -> Callable[[pd.DataFrame], pd.Series]:
    """A reason: ``prefix`` and the failing row's value of ``column``, quoted."""
    return lambda rows: prefix + quoted(rows[column])


def parse_dates(values: pd.Series) -> pd.Series:
    """ISO-8601 dates or date-times; offsets are converted to UTC, naive values taken as UTC.

    A column written all one way (all with a zone, or all without) is parsed by Arrow's
    ISO-8601 cast, a third of pandas' time on ten million values; a mixed column, or one with
    a value that does not parse, by pandas, value by value.
    """
    text = _strings(values)
    for kind in (pa.timestamp("us", "UTC"), pa.timestamp("us")) if text is not None else ():
        try:
            parsed = text.cast(kind).cast(pa.timestamp("us"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index)
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    return parsed.dt.tz_localize(None).astype("datetime64[us]")


def parse_numbers(values: pd.Series) -> pd.Series:
    """Numbers as float64 (NaN where a value is not one), by Arrow's cast, which rounds
    correctly (pandas' parser is one unit in the last place off for some 16-digit texts). A
    column with values that are not numbers is cast again without them (pandas says which),
    so one bad cell does not change how the others parse."""
    coerced: pd.Series | None = None
    text = _strings(values)
    if text is not None:
        text = pc.utf8_trim_whitespace(text)
        for attempt in range(2):
            try:
                parsed = text.cast(pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                if attempt:
                    break
                coerced = pd.to_numeric(values, errors="coerce").astype("float64")
                text = pc.if_else(pa.array(coerced.isna().to_numpy()), None, text)
            else:
                return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index)
    if coerced is None:
        coerced = pd.to_numeric(values, errors="coerce").astype("float64")
    return coerced


def unique_keys(checker: Checker, key: list[str]) -> None:
    """A key seen twice: the same content is one row; different content rejects the later rows."""
    frame = checker.frame
    if frame.empty:
        return
    if len(key) == 1 and _all_distinct(frame[key[0]]):  # the common case, a hash pass
        return
    content = [c for c in frame.columns if c not in ROW_FACTS and not c.startswith("__")]
    repeated = frame.duplicated(key, keep=False)
    if not repeated.any():
        return
    same = frame.duplicated(content, keep="first")
    first_line = frame.groupby(key, dropna=False)[LINE].transform("min")
    differs = repeated & ~same & frame.duplicated(key, keep="first")
    checker.fail(
        differs,
        lambda rows: (
            "duplicate "
            + "/".join(key)
            + " "
            + rows[key].astype("string").fillna("").agg(" / ".join, axis=1)
            + " with other content than line "
            + first_line[rows.index].astype(str)
        ),
    )
    checker.repeats |= same & repeated  # an exact repeat is the same row: kept once


def _strings(values: pd.Series) -> pa.Array | None:
    """``values`` as an Arrow string array, or None when they are not all text."""
    if isinstance(values.dtype, pd.StringDtype):  # text by its type: no look at each value
        return text_array(values)
    try:
        return pa.array(values, from_pandas=True, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _all_distinct(values: pd.Series) -> bool:
    """No value twice (a null counts as a value, as in ``duplicated``), by Arrow's hash
    kernel: ``unique`` takes 1.6 s on ten million keys, ``count_distinct`` 6.5 s and pandas'
    ``duplicated`` about ten times that."""
    column = pa.array(values, from_pandas=True)
    return len(pc.unique(column)) == len(column)


def known(checker: Checker, column: str, keys: set[str] | pd.Index, what: str) -> None:
    """Values of ``column`` (when given) must be among ``keys``."""
    values = checker.frame[column]
    unknown = values.notna() & ~values.isin(keys)
    checker.fail(unknown, quoting(f"unknown {what} ", column))


def in_range(checker: Checker, column: str, low: float, high: float) -> None:
    values = checker.frame[column]
    outside = values.notna() & ((values < low) | (values > high))
    checker.fail(
        outside,
        lambda rows: f"{column} outside {low:g}..{high:g}: " + rows[column].map("{:g}".format),
    )


def one_of(checker: Checker, column: str, allowed: tuple[str, ...]) -> None:
    values = checker.frame[column]
    checker.fail(
        values.notna() & ~values.isin(allowed),
        quoting(f"{column} must be one of {'|'.join(allowed)}, not ", column),
    )


def ratings(checker: Checker) -> None:
    """A rating needs its scale: 5 (1..5 stars) or 10 (NPS, 0..10)."""
    frame = checker.frame
    rating, scale = frame["rating"], frame["rating_scale"].astype("float64")
    checker.fail(rating.notna() & scale.isna(), "rating without rating_scale")
    checker.fail(
        scale.notna() & ~scale.isin([5, 10]),
        quoting("rating_scale must be 5 or 10, not ", "rating_scale"),
    )
    low = np.where(scale == 10, 0, 1)
    high = scale.astype("float64")
    outside = rating.notna() & scale.isin([5, 10]) & ((rating < low) | (rating > high))
    checker.fail(
        outside,
        lambda rows: (
            "rating "
            + rows["rating"].map("{:g}".format)
            + " outside its scale "
            + np.where(rows["rating_scale"] == 10, "0", "1")
            + ".."
            + rows["rating_scale"].astype(int).astype(str)
        ),
    )


def attributes(frame: pd.DataFrame, extra: list[str]) -> pd.Series:
    """The extra columns of each row as one JSON object (None when all are empty)."""
    if not extra:
        return pd.Series(None, index=frame.index, dtype="object")
    values = frame[extra].astype("object").where(frame[extra].notna(), None)
    return pd.Series(
        [
            json.dumps(
                {k: v for k, v in zip(extra, row, strict=True) if v is not None}, sort_keys=True
            )
            if any(v is not None for v in row)
            else None
            for row in values.itertuples(index=False)
        ],
        index=frame.index,
        dtype="object",
    )
