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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph360 import model
from graph360.errors import Graph360Error
from graph360.ingest import identity
from graph360.ingest.bundle import LINE, RawFile
from graph360.store.base import GraphStore

if TYPE_CHECKING:
    from graph360.ingest.people import People

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


#: The quick hash's multiplier (FNV-1a's 64-bit prime), arithmetic modulo 2**64.
_PRIME = np.uint64(1099511628211)


def quick_hash(values: pa.Array) -> np.ndarray:
    """A 64-bit polynomial hash of each string (int64), vectorised over the Arrow buffers: the
    screen's prefilter, so that SHA-256 runs only for the few values whose quick hash is an
    entry's (a million distinct values: tenths of a second instead of seconds). Our own
    arithmetic, so it never changes under a library upgrade; a collision only costs a SHA-256.

    >>> int(quick_hash(pa.array(["ab"]))[0]) == int(quick_hash(pa.array(["ab"]))[0])
    True
    >>> len(set(quick_hash(pa.array(["ab", "ba", "", "a"])).tolist()))
    4
    """
    strings = pc.fill_null(values.cast(pa.large_string()), "")
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    n = len(strings)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)[
        strings.offset : strings.offset + n + 1
    ]
    lengths = np.diff(offsets).astype(np.int64)
    out = lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # empty strings: 0
    start, end = int(offsets[0]), int(offsets[-1])
    if end > start:
        data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)[start:end].astype(np.uint64)
        powers = np.cumprod(np.full(int(lengths.max()), _PRIME, dtype=np.uint64))
        owner = np.repeat(np.arange(n), lengths)
        from_end = offsets[1:][owner] - np.arange(start, end) - 1
        weighted = (data + np.uint64(1)) * powers[from_end]
        filled = lengths > 0
        out[filled] += np.add.reduceat(weighted, (offsets[:-1] - start)[filled])
    return out.view(np.int64)


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
    values = [value for kind in KINDS for value in sorted(identifiers.get(kind, ())) if value]
    table = pa.table(
        {
            "digest": [d for d, _ in rows],
            "kind": [k for _, k in rows],
            "bucket": pa.array(quick_hash(pa.array(values, pa.string())), pa.int64()),
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


def _arrow(values: pd.Series) -> pa.Array:
    """A text column as Arrow (zero-copy for Arrow-backed strings), nulls kept."""
    return pa.array(values, from_pandas=True, type=pa.string())


def _unknown_positions(values: pa.Array, known: pa.Array) -> np.ndarray:
    """True where a value is given and not among ``known``: the only values a suppression can
    be about, since an erased person's records and e-mails are gone."""
    found = pc.is_in(values, value_set=known)
    return (pc.is_valid(values).to_numpy(zero_copy_only=False)) & ~pc.fill_null(
        found, False
    ).to_numpy(zero_copy_only=False)


@dataclass
class Screen:
    """The list as a load or an event batch checks it; ``left_out`` file -> lines left out."""

    digests: frozenset[str]
    left_out: dict[str, list[int]] = field(default_factory=dict)
    _records: set[str] = field(default_factory=set)
    _emails: set[str] = field(default_factory=set)

    #: kind -> the entries' quick hashes (:func:`quick_hash`); None: some entry has none, so
    #: every value is checked by its SHA-256
    buckets: dict[str, np.ndarray] | None = None

    @classmethod
    def of(cls, store: GraphStore) -> Screen:
        rows = store.query("suppression_digests")
        buckets: dict[str, np.ndarray] | None = {}
        if any(row["bucket"] is None for row in rows):
            buckets = None
        else:
            for kind in KINDS:
                chosen = [row["bucket"] for row in rows if row["kind"] == kind]
                buckets[kind] = np.asarray(chosen, dtype=np.int64)  # type: ignore[index]
        return cls(frozenset(row["digest"] for row in rows), buckets=buckets)

    def _hit(self, kind: str, values: pd.Series) -> pd.Series:
        """True where a (normalised) value is on the list, or is a record or e-mail of a row
        this screen left out. Each distinct value is hashed once: by :func:`quick_hash` (numpy
        over the Arrow buffers), and by SHA-256 only where the quick hash matches an entry's."""
        present = values.dropna()
        if present.empty:
            return pd.Series(False, index=values.index)
        distinct = pa.array(pd.unique(present.astype(str)), type=pa.string())
        if self.buckets is not None:
            close = np.isin(quick_hash(distinct), self.buckets.get(kind, np.zeros(0, np.int64)))
            distinct = distinct.filter(pa.array(close))
        table = _digests(kind, distinct.to_pylist())
        hit = {value for value, d in table.items() if d in self.digests}
        hit |= self._records if kind == "record" else self._emails if kind == "email" else set()
        return values.isin(hit).fillna(False).astype(bool)

    def _hit_arrow(self, kind: str, values: pa.Array, known: pa.Array) -> np.ndarray:
        """True where a value is not among ``known`` and is on the list (or left out here)."""
        unknown = _unknown_positions(values, known)
        out = np.zeros(len(values), dtype=bool)
        if unknown.any():
            positions = np.flatnonzero(unknown)
            candidates = pd.Series(values.filter(pa.array(unknown)).to_pylist(), index=positions)
            out[positions[self._hit(kind, candidates).to_numpy()]] = True
        return out

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

    def linked(self, raw: dict[str, RawFile], people: People) -> None:
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
            out = np.zeros(len(frame), dtype=bool)
            for source, column in pairs:
                if source not in frame or column not in frame:
                    continue
                keys = pc.binary_join_element_wise(
                    _arrow(frame[source]), _arrow(frame[column]), ":"
                )
                out |= self._hit_arrow("record", keys, records)
            if email is not None and email in frame:
                given = pc.utf8_lower(pc.utf8_trim_whitespace(_arrow(frame[email])))
                unknown = _unknown_positions(given, emails) & ~out
                if unknown.any():
                    candidates = pd.Series(
                        given.filter(pa.array(unknown)).to_pylist(), index=np.flatnonzero(unknown)
                    )
                    normalised, _ = identity.normalize_emails(candidates)
                    hit = self._hit("email", normalised).to_numpy()
                    out[candidates.index[hit]] = True
            out = pd.Series(out, index=frame.index)
            if out.any():
                self.left_out.setdefault(name, []).extend(frame.loc[out, LINE].tolist())
                raw[name].frame = frame[~out]

    def counts(self) -> dict[str, int]:
        return {name: len(lines) for name, lines in sorted(self.left_out.items())}
