"""Survivorship's fold takes each field's first non-empty value per customer in row order:
Arrow's hash aggregate must give exactly what pandas' ``groupby(...).first()`` gives, for text
held as Python objects or as Arrow strings, dates, and columns with no value at all."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph360.ingest.columns import TEXT_DTYPE
from graph360.ingest.survivorship import _first_per_customer

_text = st.one_of(st.none(), st.sampled_from(["a", "b", "Ada", "é", ""]))
_date = st.one_of(st.none(), st.dates(dt.date(1950, 1, 1), dt.date(2020, 1, 1)))
_row = st.tuples(st.sampled_from(["c1", "c2", "c3", "c10"]), _text, _text, _date)


def _plain(frame: pd.DataFrame) -> list[list[object]]:
    return [
        [None if pd.isna(v) else v for v in row]
        for row in frame.astype(object).itertuples(index=False)
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(_row, min_size=1, max_size=30), st.booleans())
def test_the_fold_is_pandas_first_per_customer(rows, arrow_text) -> None:
    frame = pd.DataFrame(rows, columns=["customer_id", "name", "city", "birth_date"])
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    frame["phone"] = pd.Series([None] * len(frame), dtype=object)  # no value in any row
    if arrow_text:
        frame = frame.astype({c: TEXT_DTYPE for c in ("customer_id", "name", "city")})
    expected = frame.groupby("customer_id", sort=True).first().reset_index()
    folded = _first_per_customer(frame)
    assert list(folded.columns) == list(expected.columns)
    assert _plain(folded) == _plain(expected)
    assert np.issubdtype(folded["birth_date"].dtype, np.datetime64)
