"""Merges by hand, splits, never-merge rules and the merge log: identity decisions people make.

Identity resolution (``graph360.ingest.identity``) decides from the records; this module lets
a person (or the probabilistic matcher) correct it, and keeps the corrections:

- :func:`merge_customers` folds one customer into another. The link is kept as a join (rule
  ``manual`` or ``probabilistic``, through a record of the kept customer) that every later load
  honours.
- :func:`unmerge` splits records off. It is a never-merge rule between those records and the
  rest, after which the customer is resolved again: the records, their touchpoints, holdings,
  campaign memberships and relationships (each row remembers the record it named) move to a
  customer of their own. Later loads and matches respect the rule.
- :func:`apply_moves` is the same move for the splits a load or an event finds (an identifier
  that became a placeholder, a device found shared), so the order records arrive in does not
  change the graph.
- :func:`log_identified` writes an ``identify`` entry when an anonymous visitor's records join
  a known customer (``graph360.ingest.identity``: a sign-in on the same device).

Every merge and split is an entry in the merge log: what, when, why, the evidence and who.
The log holds record keys and customer ids, never an e-mail, phone or name.

A customer's id follows the record it was derived from: after a split the part holding that
record keeps it, so a link saved to a customer still finds the same person. Flags and actions
stay with the customer that had them (the rules raise them again where they now apply), and
analytics scores are recomputed by their next run.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from graph360 import facts, model
from graph360.errors import InvalidRequestError, NotFoundError, StoreError
from graph360.ingest import identifiers, identity, survivorship
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = [
    "MergeEntry",
    "NeverMergeError",
    "apply_moves",
    "closure",
    "customer_records",
    "log_identified",
    "merge_customers",
    "merge_log",
    "never_merge",
    "never_merge_rules",
    "refold",
    "touched",
    "unmerge",
]

#: Up to this many records a resolution moves them one statement each (``merges_move_record``,
#: ~8 ms a record at 1M/10M); more go in one ``merges_move_records`` (a join, ~1-2 s).
MOVE_ONE_BY_ONE = 100
#: The rows of ``merges_move_records``.
_MOVED_RECORD = pa.schema(
    [
        ("record_key", pa.string()),
        ("customer_id", pa.string()),
        ("rule", pa.string()),
        ("via", pa.string()),
    ]
)
#: Moves of records between customers per (from, to) pair, by the relationship they carry.
_MOVES = (
    "merges_move_touchpoints",
    "merges_move_holdings",
    "merges_move_targets",
    "merges_move_related_from",
    "merges_move_related_to",
)


class NeverMergeError(InvalidRequestError):
    """A merge a never-merge rule forbids."""


@dataclass(frozen=True)
class MergeEntry:
    """One decision in the merge log."""

    entry_id: str
    kind: str  # merge | unmerge | identify
    at: dt.datetime
    who: str
    rule: str
    evidence: dict[str, Any]
    customer_id: str  # the customer kept (merge) or split (unmerge)
    other_id: str  # the customer folded in (merge) or split off (unmerge)
    records: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "at": self.at}


# --- reading -------------------------------------------------------------------------------


def customer_records(store: GraphStore, customer_id: str) -> pd.DataFrame:
    """A customer's records with their fields and links (empty when there is no such one)."""
    rows = store.query("merges_customer_records", customer_id=customer_id)
    return pd.DataFrame(rows, columns=[*identity.IDENTITY_COLUMNS, *_FIELDS_READ])


_FIELDS_READ = (*(f for f in model.CUSTOMER_FIELDS if f != "name"), "loaded_at")


def closure(
    store: GraphStore, customers: set[str], max_shared: int = identity.DEFAULT_MAX_SHARED
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Every record of these customers and of every customer their identifiers reach, and the
    placeholders met on the way ("email:…" -> carriers): all a resolution of these customers
    needs to be the one over the whole store. A placeholder is not followed (it links nobody),
    so a shared test address does not pull in its thousand carriers' customers."""
    seen: set[str] = set()
    looked: set[str] = set()
    placeholders: dict[str, int] = {}
    frames = []
    frontier = set(customers)
    while frontier:
        seen |= frontier
        found = pd.concat([customer_records(store, c) for c in sorted(frontier)], ignore_index=True)
        frames.append(found)
        carried = {
            identifiers.key_of(kind, value)
            for kind in identifiers.KINDS
            for value in found[kind].dropna()
        } - looked
        looked |= carried
        reached: set[str] = set()
        for key in sorted(carried):
            carriers = identifiers.records_carrying(store, {key})
            if len(carriers) > max_shared:
                kind = identifiers.kind_of(key)
                placeholders[f"{kind}:{identifiers.value_of(key)}"] = len(carriers)
            else:
                reached |= set(carriers["customer_id"])
        for record in sorted(set(found["identified_as"].dropna())):  # whom sign-ins name
            reached |= {r["customer_id"] for r in store.query("identity_record", record_key=record)}
        # and the sign-ins naming these records (stored before the record they name)
        reached |= set(identifiers.sign_ins_naming(store, set(found["record_key"]))["customer_id"])
        frontier = reached - seen
    records = pd.concat(frames, ignore_index=True).drop_duplicates("record_key")
    return records.reset_index(drop=True), placeholders


def never_merge_rules(store: GraphStore) -> list[tuple[frozenset[str], frozenset[str]]]:
    """Every never-merge rule as its two groups of record keys."""
    return [
        (frozenset(json.loads(r["records_a"])), frozenset(json.loads(r["records_b"])))
        for r in store.query("merges_never_rules")
    ]


def merge_log(
    store: GraphStore, customer_id: str | None = None, limit: int = 100
) -> list[MergeEntry]:
    """The newest entries of the merge log, or those naming one customer."""
    return [
        MergeEntry(
            entry_id=r["entry_id"],
            kind=r["kind"],
            at=r["at"],
            who=r["who"],
            rule=r["rule"],
            evidence=json.loads(r["evidence"] or "{}"),
            customer_id=r["customer_id"],
            other_id=r["other_id"],
            records=json.loads(r["records"] or "[]"),
        )
        for r in (
            store.query("merges_log", limit=limit)
            if customer_id is None
            else store.query("merges_log_of_customer", customer_id=customer_id, limit=limit)
        )
    ]


# --- deciding ------------------------------------------------------------------------------


def merge_customers(
    store: GraphStore,
    keep: str,
    other: str,
    *,
    rule: str = "manual",
    evidence: dict[str, Any] | None = None,
    who: str,
) -> MergeEntry:
    """Fold customer ``other`` into ``keep``, kept by every later load as a join.

    ``evidence`` may name the pair of records the decision is about (``record``, a record of
    ``other``, and ``via``, one of ``keep``); by default each customer's smallest record. A
    never-merge rule between any of their records refuses the merge.
    """
    if rule not in identity.JOINING_RULES:
        raise InvalidRequestError(f"a merge's rule is one of {', '.join(identity.JOINING_RULES)}")
    if keep == other:
        raise InvalidRequestError("a customer cannot be merged with itself")
    kept, folded = _records_of(store, keep), _records_of(store, other)
    evidence = dict(evidence or {})
    record = evidence.setdefault("record", min(folded["record_key"]))
    via = evidence.setdefault("via", min(kept["record_key"]))
    if record not in set(folded["record_key"]) or via not in set(kept["record_key"]):
        raise InvalidRequestError(f"the evidence's records must be {other}'s and {keep}'s")
    ours, theirs = set(kept["record_key"]), set(folded["record_key"])
    for a, b in never_merge_rules(store):
        for side, far_side in ((a, b), (b, a)):
            if side & ours and far_side & theirs:
                raise NeverMergeError(
                    f"a never-merge rule keeps records {', '.join(sorted(side & ours))} apart "
                    f"from {', '.join(sorted(far_side & theirs))}"
                )
    with store.atomic():
        _changing(store)
        store.merge_nodes("Customer", {other: keep})
        store.write("merges_move_record", record_key=record, customer_id=keep, rule=rule, via=via)
        refold(store, [keep])
        return _log(
            store,
            "merge",
            who=who,
            rule=rule,
            evidence=evidence,
            customer_id=keep,
            other_id=other,
            records=sorted(folded["record_key"]),
        )


def unmerge(
    store: GraphStore, customer_id: str, records: list[str], *, who: str
) -> tuple[MergeEntry, ...]:
    """Split ``records`` off ``customer_id`` into a customer of their own, for good.

    A never-merge rule between them and the customer's other records is stored, the records
    split off are joined to each other (so they stay one customer even where they share no
    identifier), and the customer is resolved again. Returns the log entries of the split.
    """
    stored = _records_of(store, customer_id)
    wanted = sorted(set(records))
    unknown = sorted(set(wanted) - set(stored["record_key"]))
    if unknown:
        raise InvalidRequestError(f"not records of {customer_id}: {', '.join(unknown)}")
    rest = sorted(set(stored["record_key"]) - set(wanted))
    if not wanted or not rest:
        raise InvalidRequestError("an unmerge leaves records on both sides")
    with store.atomic():
        _changing(store)
        never_merge(store, wanted, rest, who=who)
        for record in wanted[1:]:  # the part split off stays one customer
            store.write(
                "merges_move_record",
                record_key=record,
                customer_id=customer_id,
                rule="manual",
                via=wanted[0],
            )
        resolution = _resolve_customers(store, {customer_id})
        entries = apply_moves(store, resolution, who=who, why="unmerge")
        refold(store, touched(entries), resolution.blocked)
        return entries


def never_merge(store: GraphStore, records_a: list[str], records_b: list[str], *, who: str) -> str:
    """Record that two groups of records are not one person; returns the rule's id."""
    a, b = sorted(set(records_a)), sorted(set(records_b))
    if not a or not b or set(a) & set(b):
        raise InvalidRequestError("a never-merge rule needs two groups of different records")
    rule_id = "N" + uuid.uuid5(uuid.NAMESPACE_URL, json.dumps([a, b])).hex[:16].upper()
    store.write(
        "merges_never_write",
        rule_id=rule_id,
        records_a=json.dumps(a),
        records_b=json.dumps(b),
        at=utc_now(),
        who=who,
    )
    return rule_id


# --- moving --------------------------------------------------------------------------------


def apply_moves(
    store: GraphStore, resolution: identity.Resolution, *, who: str, why: str = "placeholder"
) -> tuple[MergeEntry, ...]:
    """Move the stored records a resolution took from their customer (``resolution.moves``),
    with what each of them brought: touchpoints, holdings, memberships and relationships.
    Call inside ``store.atomic()``, then :func:`refold` the customers the entries name once
    every record is written."""
    if not resolution.moves:
        return ()
    owners = _owners(store, list(resolution.moves))
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record, target in sorted(resolution.moves.items()):
        groups[(owners[record], target)].append(record)
    on_shared_devices = {
        record
        for key, parts in resolution.conflicts.items()
        if key.startswith("pseudo_id:")
        for part in parts
        for record in part
    }
    for target in sorted({target for _, target in groups}):
        store.write("merges_ensure_customer", customer_id=target)
    _move_records(store, resolution)
    entries = []
    for (source, target), moved in groups.items():
        rule = why
        if why == "placeholder" and set(moved) <= on_shared_devices:
            rule = "shared_device"  # a visitor's device is now known to be two people's
        for name in _MOVES:
            store.write(name, from_id=source, to_id=target, records=moved)
        entries.append(
            _log(
                store,
                "unmerge",
                who=who,
                rule=rule,
                evidence={},
                customer_id=source,
                other_id=target,
                records=moved,
            )
        )
    return tuple(entries)


def _move_records(store: GraphStore, resolution: identity.Resolution) -> None:
    """Point each moved record's ``IDENTIFIED_BY`` at its new customer, with its new rule."""
    rows = [
        {
            "record_key": record,
            "customer_id": target,
            "rule": resolution.rule_of.get(record, "source_id"),
            "via": resolution.via_of.get(record),
        }
        for record, target in sorted(resolution.moves.items())
    ]
    if len(rows) > MOVE_ONE_BY_ONE:
        answers = store.write_rows("merges_move_records", pa.Table.from_pylist(rows, _MOVED_RECORD))
        moved = sum(answer["moved"] for answer in answers)
    else:
        moved = sum(store.write("merges_move_record", **row)[0]["moved"] for row in rows)
    if moved != len(rows):
        raise StoreError(
            f"{len(rows) - moved} of {len(rows)} records to move are not in the graph",
            query="merges_move_records",
        )


def log_identified(
    store: GraphStore, resolution: identity.Resolution, *, who: str
) -> tuple[MergeEntry, ...]:
    """An ``identify`` entry per customer that anonymous visitor records joined in this
    resolution (``resolution.identified``), naming the customer they were in before (none for
    records new here) and the sign-in that linked them. Call inside ``store.atomic()``."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record, (customer, before) in sorted(resolution.identified.items()):
        groups[(customer, before or "")].append(record)
    entries = []
    for (customer, before), records in sorted(groups.items()):
        # the sign-in: the known side of the visitor's link (its pseudo id's other carrier)
        via = resolution.via_of.get(records[0])
        entries.append(
            _log(
                store,
                "identify",
                who=who,
                rule="pseudo_id",
                evidence={"via": via},
                customer_id=customer,
                other_id=before,
                records=records,
            )
        )
    return tuple(entries)


def touched(entries: tuple[MergeEntry, ...]) -> list[str]:
    """The customers these entries changed."""
    return sorted({c for e in entries for c in (e.customer_id, e.other_id)})


def refold(
    store: GraphStore, customer_ids: list[str], blocked: Collection[str] | None = None
) -> None:
    """Fold each customer's fields again from its records (``survivorship.fold``), skipping
    the placeholders ``blocked`` ("email:…"; by default those the index counts as such)."""
    frames = [_records_of(store, c, must_exist=False) for c in customer_ids]
    # As objects: a column one customer's records all leave empty must not decide its type
    # (pandas 3 would let it; 2.x warns).
    frames = [frame.astype(object) for frame in frames if not frame.empty]
    records = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if records.empty:
        return
    if blocked is None:
        present = set(records["email"].dropna()) | set(records["phone"].dropna())
        blocked = {
            key
            for key, carriers in identifiers.carrier_counts(store, present).items()
            if carriers > identity.DEFAULT_MAX_SHARED
        }
    # No row hash: the next load compares the customer as changed and writes its own fold.
    folded = survivorship.fold(records, blocked).assign(row_hash=None)
    schema = model.node("Customer").arrow_schema()
    table = pa.table(
        {
            c: pa.array(folded[c], schema.field(c).type, from_pandas=True)
            for c in model.CUSTOMER_FOLD
        }
    )
    store.upsert_nodes("Customer", table)


# --- helpers -------------------------------------------------------------------------------


def _records_of(store: GraphStore, customer_id: str, *, must_exist: bool = True) -> pd.DataFrame:
    records = customer_records(store, customer_id)
    if records.empty and must_exist:
        raise NotFoundError(f"no customer {customer_id}")
    return records


def _owners(store: GraphStore, records: list[str]) -> dict[str, str]:
    found = {}
    for key in records:
        rows = store.query("identity_record", record_key=key)
        if rows:
            found[key] = rows[0]["customer_id"]
    return found


def _resolve_customers(store: GraphStore, customers: set[str]) -> identity.Resolution:
    """Resolve these customers' records again, with every record their identifiers reach."""
    records, placeholders = closure(store, customers)
    owner_of = dict(zip(records["record_key"], records["customer_id"], strict=True))
    return identity.resolve(
        records,
        owner_of,
        joined=identity.joins(records),
        apart=never_merge_rules(store),
        placeholders=placeholders,
    )


def _changing(store: GraphStore) -> None:
    """The graph is about to differ from what the last load left, and from the projection."""
    store.write("forget_last_load")
    facts.bump_version(store)


def _log(store: GraphStore, kind: str, **entry: Any) -> MergeEntry:
    at = utc_now()
    entry_id = f"{at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    store.write(
        "merges_log_write",
        entry_id=entry_id,
        kind=kind,
        at=at,
        who=entry["who"],
        rule=entry["rule"],
        evidence=json.dumps(entry["evidence"], sort_keys=True, default=str),
        customer_id=entry["customer_id"],
        other_id=entry["other_id"],
        records=json.dumps(entry["records"]),
    )
    return MergeEntry(entry_id=entry_id, kind=kind, at=at, **entry)
