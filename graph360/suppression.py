"""The suppression list: identifiers of erased people, which no load or event may bring back.

When a person is erased (:mod:`graph360.erasure`) their normalised e-mails and phones and their
source records' keys (``source:id``) go on the list, each as a ``Suppression`` node keyed by
the SHA-256 of ``<kind>:<value>``: the list can tell "this is an erased person" without holding
the person's identifiers in clear (a digest of an e-mail is still pseudonymous data, kept for
the one purpose of honouring the erasure; GDPR recital 26 / art. 17, as Segment's suppression
and Unomi's do).

A load (``graph360.ingest.load.prepare_batch``) and a live event pass through :class:`Screen`:

- a customers.csv row whose record key, e-mail or phone is suppressed is left out;
- a row of another file (touchpoint, membership, holding, relationship, consent) that names a
  suppressed person is left out.

Both are counted (the load report's ``suppressed``; an event's status ``suppressed``), never
silently dropped, and never rejected (nothing is wrong with the row; the law says no).

**Cost.** With an empty list a load pays one query. Otherwise the customers' three identifiers
are hashed once per distinct value, and another file's references are hashed only where they
resolve to no record the load or the store knows (an erased person's records are gone, so their
references are among those few): the ten million touchpoints of a big load are not hashed.

An admin can lift a suppression (:func:`lift`): the person may then be loaded again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph360 import model
from graph360.errors import Graph360Error
from graph360.ingest import identity
from graph360.ingest.bundle import LINE, RawFile
from graph360.store.base import GraphStore

if TYPE_CHECKING:
    from graph360.ingest.load import _People

__all__ = ["KINDS", "Screen", "SuppressionError", "digest", "lift", "suppress"]

#: What a suppression can be of.
KINDS = ("email", "phone", "record")
#: The files whose rows name a person, and the (source, id) column pairs and e-mail that do.
_LINKED: dict[str, tuple[tuple[tuple[str, str], ...], str | None]] = {
    "touchpoints": ((("source", "customer_id"),), "email"),
    "campaign_members": ((("source", "customer_id"),), "email"),
    "consents": ((("source", "customer_id"),), "email"),
    "holdings": ((("source", "customer_id"),), None),
    "relationships": ((("source", "from_customer_id"), ("source", "to_customer_id")), None),
}


class SuppressionError(Graph360Error):
    """A suppression that cannot be lifted (nothing on the list for that value)."""


def digest(kind: str, value: str) -> str:
    """The list's key for one identifier (its normalised form)."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _digests(kind: str, values: Iterable[str]) -> dict[str, str]:
    return {value: digest(kind, value) for value in values}


def suppress(
    store: GraphStore, identifiers: dict[str, set[str]], erasure_id: str, at: dt.datetime
) -> int:
    """Put ``identifiers`` (kind -> normalised values) on the list (call inside the erasure's
    transaction); how many entries were new."""
    rows = [
        (digest(kind, value), kind)
        for kind in KINDS
        for value in sorted(identifiers.get(kind, ()))
        if value
    ]
    if not rows:
        return 0
    table = pa.table(
        {
            "digest": [d for d, _ in rows],
            "kind": [k for _, k in rows],
            "erasure_id": [erasure_id] * len(rows),
            "at": pa.array([at] * len(rows), pa.timestamp("us")),
        },
        schema=model.node("Suppression").arrow_schema(),
    )
    return store.upsert_nodes("Suppression", table)


def lift(store: GraphStore, value: str, *, region: str = identity.DEFAULT_REGION) -> list[str]:
    """Take an e-mail, a phone (any format) or a record key (``source:id``) off the list; the
    kinds lifted. A SuppressionError when the value is on it under no kind."""
    candidates = _normalised_forms(value, region)
    lifted = []
    with store.atomic():
        for kind, form in candidates:
            if store.write("suppression_lift", digest=digest(kind, form)):
                lifted.append(kind)
        if lifted:  # a bundle whose rows were left out must be compared again
            from graph360 import facts

            store.write("forget_last_load")
            facts.bump_version(store)
    if not lifted:
        raise SuppressionError(f"{value!r} is not on the suppression list")
    return lifted


def _normalised_forms(value: str, region: str) -> list[tuple[str, str]]:
    text = value.strip()
    forms: list[tuple[str, str]] = [("record", text)]
    emails, _ = identity.normalize_emails(pd.Series([text], dtype=object))
    if pd.notna(emails.iloc[0]):
        forms.append(("email", str(emails.iloc[0])))
    phones, _ = identity.normalize_phones(
        pd.Series([text], dtype=object), pd.Series([None], dtype=object), region
    )
    if pd.notna(phones.iloc[0]):
        forms.append(("phone", str(phones.iloc[0])))
    return forms


def _unknown(values: pd.Series, known: pa.Array) -> pd.Series:
    """``values`` where they are not among ``known`` (None elsewhere): the only ones a
    suppression can be about, since an erased person's records and e-mails are gone."""
    found = pc.is_in(pa.array(values, from_pandas=True, type=pa.string()), value_set=known)
    keep = ~pc.fill_null(found, False).to_numpy(zero_copy_only=False)
    return values.astype(object).where(keep & values.notna().to_numpy(), None)


@dataclass
class Screen:
    """The list as a load or an event batch checks it; ``left_out`` file -> lines left out."""

    digests: frozenset[str]
    left_out: dict[str, list[int]] = field(default_factory=dict)
    _records: set[str] = field(default_factory=set)
    _emails: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, store: GraphStore) -> Screen:
        rows = store.query("suppression_digests")
        return cls(frozenset(row["digest"] for row in rows))

    def _hit(self, kind: str, values: pd.Series) -> pd.Series:
        """True where a (normalised) value is on the list, or is a record or e-mail of a row
        this screen left out; each distinct value hashed once."""
        present = values.dropna()
        if present.empty:
            return pd.Series(False, index=values.index)
        table = _digests(kind, pd.unique(present.astype(str)))
        hit = {value for value, d in table.items() if d in self.digests}
        hit |= self._records if kind == "record" else self._emails if kind == "email" else set()
        return values.isin(hit).fillna(False).astype(bool)

    def customers(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Checked customers.csv rows (``record_key``, ``email_norm``, ``phone_norm``) without
        those of suppressed people."""
        if not self.digests or frame.empty:
            return frame
        out = (
            self._hit("record", frame["record_key"])
            | self._hit("email", frame["email_norm"])
            | self._hit("phone", frame["phone_norm"])
        )
        if out.any():
            self.left_out.setdefault("customers", []).extend(frame.loc[out, LINE].tolist())
            # Rows that name these records (an event's touchpoint and its record) go too.
            self._records |= set(frame.loc[out, "record_key"].dropna())
            self._emails |= set(frame.loc[out, "email_norm"].dropna())
        return frame[~out]

    def linked(self, raw: dict[str, RawFile], people: _People) -> None:
        """Leave out (in place) the rows of other files that name a suppressed person: among
        the references no known record or e-mail resolves, those on the list."""
        if not self.digests:
            return
        records = people.record_keys.cast(pa.string())
        emails = people.emails.cast(pa.string())
        for name, (pairs, email) in _LINKED.items():
            if name not in raw or raw[name].frame.empty:
                continue
            frame = raw[name].frame
            out = pd.Series(False, index=frame.index)
            for source, column in pairs:
                if source not in frame or column not in frame:
                    continue
                keys = frame[source].astype("string") + ":" + frame[column].astype("string")
                out |= self._hit("record", _unknown(keys, records))
            if email is not None and email in frame:
                given = frame[email].astype("string").str.strip().str.lower()
                candidates = _unknown(given[~out], emails).dropna()
                if not candidates.empty:
                    normalised, _ = identity.normalize_emails(candidates)
                    out |= self._hit("email", normalised).reindex(frame.index, fill_value=False)
            if out.any():
                self.left_out.setdefault(name, []).extend(frame.loc[out, LINE].tolist())
                raw[name].frame = frame[~out]

    def counts(self) -> dict[str, int]:
        return {name: len(lines) for name, lines in sorted(self.left_out.items())}
