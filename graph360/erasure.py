"""Erasing a person (GDPR art. 17): everything held about them goes, in one transaction.

Two modes:

- ``delete``: the customer, their source records, their identifiers (the e-mail/phone index
  entries no other record carries), their touchpoints, flags, actions, consent statements,
  relationships with other people, the accounts only they hold, and their identity's history
  (merge-log entries naming them, never-merge rules naming their records). Campaign memberships go
  with the customer.
- ``anonymise``: the same, except that the touchpoints, campaign memberships and the accounts
  only they hold stay, attached to a new **anonymous customer** (``anon-…``, a key and no
  property): journeys, funnels, engagement and overlap keep their numbers, and no field of
  what stays holds free text (touchpoint text, resolution and extra attributes, account names
  and attributes are removed). The customer's profile (name, contact details, birth date,
  place, segment, persona, scores) goes; the anonymous customer has none.

Both modes put the person's normalised e-mails and phones (those no one else's record carries:
a family's shared address stays usable for the rest of the family) and their records' keys on
the suppression list (:mod:`graph360.suppression`), so a later load or event carrying them is
not re-created; and both leave an ``ErasureLog`` entry: an id, the mode, the reason, who asked
(the API key's name, or ``cli``), when, and how many nodes of each kind went, never the
person's id or any identifier. The graph's version is bumped (so no analytic answers from
before) and the analytics' projection on disk (graph360/facts) is deleted, so no copy of the
person is left in it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from graph360 import facts, suppression
from graph360.errors import InvalidRequestError
from graph360.ingest import taken
from graph360.ingest.identifiers import key_of
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = ["MODES", "ErasureReport", "erase", "erasure_log", "footprint"]

Mode = Literal["delete", "anonymise"]
MODES: tuple[str, ...] = ("delete", "anonymise")
_COUNTED = (
    "records",
    "touchpoints",
    "flags",
    "actions",
    "consents",
    "relationships",
    "accounts",
    "memberships",
)


@dataclass
class ErasureReport:
    """What one erasure did. ``counts``: nodes and relationships per kind that went (or, in
    ``anonymise`` mode, for touchpoints, memberships and accounts: were kept anonymous)."""

    erasure_id: str
    mode: str
    at: dt.datetime
    by: str
    reason: str
    counts: dict[str, int] = field(default_factory=dict)
    identifiers_dropped: int = 0
    suppressed: int = 0
    anonymous_customer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def footprint(store: GraphStore, customer_id: str) -> dict[str, int]:
    """How many of each kind of node an erasure of ``customer_id`` touches (empty: no such
    customer)."""
    rows = store.query("erasure_footprint", customer_id=customer_id)
    return {k: int(rows[0][k]) for k in _COUNTED} if rows else {}


def erase(
    store: GraphStore,
    customer_id: str,
    *,
    mode: str = "delete",
    by: str = "cli",
    reason: str = "request",
    now: dt.datetime | None = None,
) -> ErasureReport:
    """Erase the customer ``customer_id`` (resolve a reference first with
    ``graph360.analytics.card.resolve_customer``); see the module docstring."""
    if mode not in MODES:
        raise InvalidRequestError(f"unknown erasure mode {mode!r} (delete or anonymise)")
    now = now or utc_now()
    counts = footprint(store, customer_id)
    if not counts:
        from graph360.errors import NotFoundError

        raise NotFoundError(f"no customer {customer_id!r}")
    report = ErasureReport(uuid.uuid4().hex, mode, now, by, reason, counts)
    records = store.query("erasure_records", customer_id=customer_id)
    identifiers = {
        "record": {r["record_key"] for r in records},
        "email": {r["email"] for r in records if r["email"]},
        "phone": {r["phone"] for r in records if r["phone"]},
    }
    with store.atomic():
        store.write("forget_last_load")  # a re-load of the same bundle must be screened
        store.write("forget_taken_lines", meta=taken.META)  # every line of it, and reported
        facts.bump_version(store, now)
        for record in sorted(identifiers["record"]):
            store.write("erasure_delete_review_pairs", record_key=record)
            store.write("erasure_delete_record", record_key=record)
        shared: set[str] = set()  # still carried by someone else's record: not theirs alone
        # the index's pointer from each record to the sign-ins naming it goes with the record
        pointers = {key_of("identified_as", record) for record in identifiers["record"]}
        for key in sorted(identifiers["email"] | identifiers["phone"] | pointers):
            before = store.query("identifier_exists", key=key)
            store.write("drop_uncarried_identifier", key=key)
            if store.query("identifier_exists", key=key):
                shared.add(key)
            elif before:
                report.identifiers_dropped += 1
        identifiers = {kind: values - shared for kind, values in identifiers.items()}
        for name in ("flags", "actions", "consents", "relationships", "relationships_in"):
            store.write(f"erasure_delete_{name}", customer_id=customer_id)
        store.write("erasure_delete_merge_log", customer_id=customer_id)
        for record in sorted(identifiers["record"]):
            store.write("erasure_delete_never_merge", quoted=json.dumps(record))
        if mode == "delete":
            store.write("erasure_delete_touchpoints", customer_id=customer_id)
            store.write("erasure_delete_sole_accounts", customer_id=customer_id)
            store.write("erasure_delete_customer", customer_id=customer_id)
        else:
            for name in ("touchpoints", "sole_accounts", "holdings", "memberships"):
                store.write(f"erasure_scrub_{name}", customer_id=customer_id)
            anonymous = f"anon-{uuid.uuid4().hex[:16]}"
            store.write("erasure_anonymous_customer", customer_id=anonymous)
            store.merge_nodes("Customer", {customer_id: anonymous})
            report.anonymous_customer = anonymous
        report.suppressed = suppression.suppress(store, identifiers, report.erasure_id, now)
        store.write(
            "erasure_log",
            erasure_id=report.erasure_id,
            mode=mode,
            reason=reason,
            by=by,
            at=now,
            counts=json.dumps(counts, sort_keys=True),
        )
    facts.invalidate(store)  # the projection on disk held the person too
    return report


def erasure_log(store: GraphStore, *, limit: int = 100) -> list[dict[str, Any]]:
    """The erasure log, newest first (no personal data in it: see the module docstring)."""
    rows = store.query("erasure_logs", limit=limit)
    return [{**row, "counts": json.loads(row["counts"] or "{}")} for row in rows]
