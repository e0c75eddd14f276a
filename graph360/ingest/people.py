"""Who each row of a load is: the batch's records resolved with the stored ones, and the
lookups from any customer reference (source and id, or e-mail) to a customer id.

A live event resolves against its identity neighbourhood only (:func:`neighbourhood`), a bulk
load against every stored record; :class:`People` answers the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph360 import merges
from graph360.ingest import identifiers, identity, validate
from graph360.ingest.bundle import RawFile
from graph360.ingest.columns import text_array, text_series
from graph360.ingest.validate import Checker
from graph360.store.base import GraphStore


@dataclass
class People:
    """The resolved identities, and lookups from any customer reference to a customer id."""

    resolution: identity.Resolution
    existing_records: set[str]
    record_keys: pa.Array
    record_customers: pa.Array
    emails: pa.Array
    email_customers: pa.Array
    email_records: pa.Array  # the smallest record carrying each e-mail

    @property
    def blocked_emails(self) -> set[str]:
        return {key[len("email:") :] for key in self.resolution.blocked if key.startswith("email:")}

    @property
    def shared_emails(self) -> set[str]:
        """E-mails carried by records whose names disagree: they name nobody in particular."""
        return {k[len("email:") :] for k in self.resolution.conflicts if k.startswith("email:")}

    @classmethod
    def resolve(
        cls,
        store: GraphStore,
        customers: pd.DataFrame,
        max_shared: int,
        *,
        references: References | None = None,
    ) -> People:
        """Resolve ``customers`` against the records in the store: every one of them, or with
        ``references`` only the batch's identity neighbourhood (:func:`neighbourhood`)."""
        named = ["name"] if "name" in customers else []
        columns = ["record_key", "email_norm", "phone_norm", "pseudo_id", "identified_as", *named]
        new = customers[columns].rename(columns={"email_norm": "email", "phone_norm": "phone"})
        if references is None:
            existing = store.frame("identity_records")
            batch = None
        else:
            existing = neighbourhood(store, new, references)
            batch = set(new["record_key"])
        if existing.empty:
            existing = pd.DataFrame(columns=list(identity.IDENTITY_COLUMNS))
        apart = merges.never_merge_rules(store)
        resolution, records, owner_of = cls._resolved(existing, new, max_shared, batch, apart)
        if references is not None and resolution.moves:
            # Records of a stored customer in different clusters: the neighbourhood holds only
            # part of each customer, so resolve every customer it touched, whole.
            whole, placeholders = merges.closure(store, set(owner_of.values()), max_shared)
            placeholders.update(resolution.blocked)  # exact: all their carriers were there
            batch_rows = existing[existing["record_key"].isin(new["record_key"])]
            whole = pd.concat([whole, batch_rows], ignore_index=True)
            resolution, records, owner_of = cls._resolved(
                whole.drop_duplicates("record_key"), new, max_shared, batch, apart, placeholders
            )
        owners = resolution.table["customer"]
        emails = records.dropna(subset=["email"]).sort_values("record_key")
        emails = emails.drop_duplicates(["email"])
        refused = resolution.blocked.keys() | resolution.conflicts.keys()
        emails = emails[~("email:" + emails["email"]).isin(refused)]
        return cls(
            resolution,
            set(owner_of),
            record_keys=pa.array(owners.index.to_numpy(dtype=object), pa.string()),
            record_customers=pa.array(owners.to_numpy(), pa.string()),
            emails=pa.array(emails["email"], pa.string()),
            email_customers=pa.array(
                emails["record_key"].map(owners).to_numpy(dtype=object), pa.string()
            ),
            email_records=pa.array(emails["record_key"], pa.string()),
        )

    @staticmethod
    def _resolved(
        existing: pd.DataFrame,
        new: pd.DataFrame,
        max_shared: int,
        batch: set[str] | None,
        apart: list[tuple[frozenset[str], frozenset[str]]],
        placeholders: dict[str, int] | None = None,
    ) -> tuple[identity.Resolution, pd.DataFrame, dict[str, str]]:
        """Resolve the batch's records with the stored ones (``existing``)."""
        # A record in the batch is resolved by what it says now, not by what it said when it
        # was stored (a changed e-mail links by the new address, as a clean load would).
        stored = existing[~existing["record_key"].isin(new["record_key"])]
        columns = ["record_key", "email", "phone", "pseudo_id", "identified_as", "name"]
        # as objects before they meet: a column all empty on one side must not decide the type
        objects = {c: "object" for c in columns[1:]}
        parts = [part.astype(objects) for part in (stored[columns], new) if not part.empty]
        records = pd.concat(parts, ignore_index=True) if parts else new[columns].astype(objects)
        records = records.where(records.notna(), None)
        owner_of = dict(zip(existing["record_key"], existing["customer_id"], strict=True))
        resolution = identity.resolve(
            records,
            owner_of,
            max_shared,
            batch=batch,
            joined=identity.joins(existing),
            apart=apart,
            placeholders=placeholders,
        )
        return resolution, records, owner_of

    def customer_ids(
        self, checker: Checker, source: str, customer_id: str, email: str | None
    ) -> tuple[pd.Series, pd.Series]:
        """Each row's customer id and the record its reference named (the record of that key,
        or the smallest one carrying that e-mail); rows that resolve to nobody are failed."""
        frame = checker.frame
        keys = text_array(frame[source])
        keys = pc.binary_join_element_wise(keys, text_array(frame[customer_id]), ":")
        found = pc.index_in(keys, value_set=self.record_keys)
        by_record = _answers(found, self.record_customers, frame.index)
        result = by_record
        record = _answers(found, self.record_keys, frame.index)
        has_key = pd.Series(keys.is_valid().to_numpy(zero_copy_only=False), index=frame.index)
        if email is None:
            checker.fail(
                has_key & by_record.isna(),
                lambda rows: (
                    "unknown customer " + validate.quoted(rows[source] + ":" + rows[customer_id])
                ),
            )
            return result, record
        given = frame[email].notna()
        if given.any():
            normalized, invalid = identity.normalize_emails(frame[email])
            found = pc.index_in(text_array(normalized), value_set=self.emails)
            result = by_record.fillna(_answers(found, self.email_customers, frame.index))
            record = record.fillna(_answers(found, self.email_records, frame.index))
            blocked = normalized.isin(self.blocked_emails).fillna(False).astype(bool)
            unresolved = by_record.isna() & normalized.notna() & result.isna()
            shared = normalized.isin(self.shared_emails).fillna(False).astype(bool)
            checker.fail(
                unresolved & blocked,
                lambda rows: "e-mail " + validate.quoted(rows[email]) + " is a blocked placeholder",
            )
            checker.fail(
                unresolved & shared,
                lambda rows: (
                    "e-mail " + validate.quoted(rows[email]) + " is shared by people whose names "
                    "disagree: give " + source + " and " + customer_id
                ),
            )
            checker.fail(
                unresolved & ~blocked & ~shared,
                validate.quoting("no customer with e-mail ", email),
            )
            checker.fail(given & normalized.isna() & result.isna(), invalid)
        checker.fail(
            ~has_key & ~given,
            f"no customer reference: give {source} and {customer_id}, or {email}",
        )
        checker.fail(
            has_key & by_record.isna() & ~given,
            lambda rows: (
                "unknown customer " + validate.quoted(rows[source] + ":" + rows[customer_id])
            ),
        )
        return result, record


@dataclass
class References:
    """The customers a batch's linked rows refer to: record keys and normalised e-mails."""

    record_keys: set[str]
    emails: set[str]


#: Per linked file: (source column, customer id columns, e-mail column or None).
_CUSTOMER_REFERENCES = {
    "holdings": ("source", ("customer_id",), None),
    "relationships": ("source", ("from_customer_id", "to_customer_id"), None),
    "campaign_members": ("source", ("customer_id",), "email"),
    "touchpoints": ("source", ("customer_id",), "email"),
}


def customer_references(raw: dict[str, RawFile]) -> References:
    """Every customer reference in the linked files, read as the checks will read them (text
    trimmed by the reader; e-mails normalised; an invalid one refers to nobody)."""
    keys: set[str] = set()
    emails: set[str] = set()
    for name, (source, id_columns, email) in _CUSTOMER_REFERENCES.items():
        if name not in raw:
            continue
        frame = raw[name].frame
        for column in id_columns:
            if source in frame and column in frame:
                pairs = frame[[source, column]].dropna()
                keys.update(pairs[source] + ":" + pairs[column])
        if email is not None and email in frame:
            normalized, _ = identity.normalize_emails(frame[email].dropna())
            emails.update(normalized.dropna())
    return References(keys, emails)


def neighbourhood(store: GraphStore, new: pd.DataFrame, references: References) -> pd.DataFrame:
    """The stored records a batch's resolution depends on, with their customers.

    They are: the records with the batch's record keys, the keys its rows refer to and the
    records its sign-ins name (key lookups); then every record carrying an e-mail, phone or
    pseudo id that resolution will use for a batch record — its own, or for a record already
    stored the stored ones, since the stored version of a record is the one resolution uses —
    or an e-mail a row refers to.

    Why this gives the same customers, merges, new customer ids and blocked identifiers as
    resolving against every stored record. Every earlier load left the store resolved: two
    stored records linked by an unblocked identifier belong to one customer. So in the
    clusters over all records, a link between two stored records never changes whose customer
    anyone is; what can is a link through an identifier a batch record carries. For those
    identifiers the neighbourhood holds *every* carrier, so each one's carrier count — and so
    whether it is a blocked placeholder — is exact, and every stored customer a batch record
    links to is reached by one such link. The other identifiers of neighbourhood records are
    left out (set to null): only some of their carriers are here, and an identifier blocked in
    the store could look unblocked among a few and link two customers that are not one.
    Likewise an e-mail reference resolves to the customer of its carriers, all of them here.

    Not the same: the ``rule`` / ``via`` of a record that joined a customer names a link to a
    record of that customer, possibly another one than a walk over the whole customer would
    (``identity.resolve(batch=...)``); a resolution over everything also re-links stored records
    whose identifiers changed since their load (a full load does that); and the report's
    blocked identifiers are only those the batch touches.
    """
    signed_in_as = set(new["identified_as"].dropna())  # the records sign-ins name
    keys = sorted(set(new["record_key"]) | references.record_keys | signed_in_as)
    rows = [row for key in keys for row in store.query("identity_record", record_key=key)]
    by_key = pd.DataFrame(rows, columns=list(identity.IDENTITY_COLUMNS))
    stored = by_key[by_key["record_key"].isin(set(new["record_key"]))]
    # the sign-ins that named a new batch record before it came (their devices are followed
    # too); a stored record met the sign-ins naming it when they came, so it needs no probe
    fresh = set(new["record_key"]) - set(stored["record_key"])
    early = identifiers.sign_ins_naming(store, fresh).reindex(columns=by_key.columns)
    emails = set(new["email"].dropna()) | references.emails | set(stored["email"].dropna())
    phones = set(new["phone"].dropna()) | set(stored["phone"].dropna())
    devices = set(new["pseudo_id"].dropna()) | set(stored["pseudo_id"].dropna())
    devices |= set(early["pseudo_id"].dropna())
    found = [by_key, early]
    if emails or phones or devices:
        wanted = emails | phones | {identifiers.key_of("pseudo_id", d) for d in devices}
        carriers = identifiers.records_carrying(store, wanted)  # by index, no scan
        found.append(carriers.reindex(columns=by_key.columns))
    # the records that sign-ins met on a device name (the device's person)
    named = set(pd.concat(found[1:])["identified_as"].dropna()) - set(keys)
    rows = [row for key in sorted(named) for row in store.query("identity_record", record_key=key)]
    found.append(pd.DataFrame(rows, columns=by_key.columns))
    records = pd.concat(found, ignore_index=True).drop_duplicates("record_key")
    records = records.astype(object)
    for column, carried in (("email", emails), ("phone", phones), ("pseudo_id", devices)):
        records[column] = records[column].where(records[column].isin(carried), None)
    return records.reset_index(drop=True)


def _answers(positions: pa.Array, answers: pa.Array, index: pd.Index) -> pd.Series:
    """The answer at each position (``pc.index_in`` of the keys in what is known: one hash
    join, taken for every answer wanted); null where the key is unknown."""
    return text_series(pc.take(answers, positions), index)
