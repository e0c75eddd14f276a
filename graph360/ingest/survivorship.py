"""Survivorship: which of a customer's records gives each field the customer shows.

One rule, used by a load (``graph360.ingest.load``) and after a merge or a split
(``graph360.merges``): each field is the first non-empty value among the customer's records in
record-key order, an anonymous visitor's records last (``links.visitors``: a city GA4
guessed from an address on the network is not where the customer lives, but better than none);
the e-mail and phone skip placeholders (blocked identifiers), which name nobody. Each record
keeps its own value as it was typed, and the card shows them.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph360 import model
from graph360.ingest import links
from graph360.ingest.columns import TEXT_TYPES


def fold(records: pd.DataFrame, blocked: set[str] | dict[str, int]) -> pd.DataFrame:
    """One row per ``customer_id`` of ``records`` (columns customer_id, record_key, email and
    phone normalised, and the customer fields; pseudo_id and identified_as, when given, tell a
    visitor): ``customer_id``, ``email``, ``phone`` and ``model.CUSTOMER_FIELDS``."""
    ordered = records.assign(__visitor=links.visitors(records))
    ordered = ordered.sort_values(["__visitor", "record_key"])
    emails, phones = ordered["email"], ordered["phone"]
    fields = ordered[["customer_id", *model.CUSTOMER_FIELDS]].assign(
        email=emails.where(~("email:" + emails.astype("string")).isin(blocked).fillna(False)),
        phone=phones.where(~("phone:" + phones.astype("string")).isin(blocked).fillna(False)),
    )
    return _first_per_customer(fields)


def _first_per_customer(fields: pd.DataFrame) -> pd.DataFrame:
    """Each column's first non-empty value per ``customer_id``, in row order, by customer id:
    pandas' ``groupby(...).first()``, done by Arrow's hash aggregate: half pandas' time on the
    loader's Arrow text (300k records, 200k customers, measured side by side); a frame of
    Python objects (a refold after a merge) pays a conversion, which its few rows afford."""
    table = pa.Table.from_pandas(fields, preserve_index=False)
    for position, column in enumerate(table.columns):  # a column of no values at all
        if pa.types.is_null(column.type):
            table = table.set_column(position, table.field(position).name, column.cast(pa.string()))
    others = [c for c in table.column_names if c != "customer_id"]
    firsts = table.group_by("customer_id", use_threads=False).aggregate(
        [(c, "first") for c in others]  # single-threaded: "first" then follows row order
    )
    firsts = firsts.select(["customer_id", *[f"{c}_first" for c in others]])
    firsts = firsts.rename_columns(["customer_id", *others]).sort_by("customer_id")
    frame = firsts.filter(pc.is_valid(firsts.column("customer_id")))
    return frame.to_pandas(types_mapper=TEXT_TYPES.get)
