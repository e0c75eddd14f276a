"""Survivorship: which of a customer's records gives each field the customer shows.

One rule, used by a load (``graph360.ingest.load``) and after a merge or a split
(``graph360.merges``): each field is the first non-empty value among the customer's records in
record-key order, an anonymous visitor's records last (``identity.visitors``: a city GA4
guessed from an address on the network is not where the customer lives, but better than none);
the e-mail and phone skip placeholders (blocked identifiers), which name nobody. Each record
keeps its own value as it was typed, and the card shows them.
"""

from __future__ import annotations

import pandas as pd

from graph360 import model
from graph360.ingest import identity


def fold(records: pd.DataFrame, blocked: set[str] | dict[str, int]) -> pd.DataFrame:
    """One row per ``customer_id`` of ``records`` (columns customer_id, record_key, email and
    phone normalised, and the customer fields; pseudo_id and identified_as, when given, tell a
    visitor): ``customer_id``, ``email``, ``phone`` and ``model.CUSTOMER_FIELDS``."""
    ordered = records.assign(__visitor=identity.visitors(records))
    ordered = ordered.sort_values(["__visitor", "record_key"])
    emails, phones = ordered["email"], ordered["phone"]
    fields = ordered[["customer_id", *model.CUSTOMER_FIELDS]].assign(
        email=emails.where(~("email:" + emails.astype("string")).isin(blocked).fillna(False)),
        phone=phones.where(~("phone:" + phones.astype("string")).isin(blocked).fillna(False)),
    )
    return fields.groupby("customer_id", sort=True).first().reset_index()
