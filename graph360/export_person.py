"""Everything held about one person, as one documented JSON document (GDPR art. 15 and 20).

``graph360 export-person REF -o person.json`` and the admin GraphQL field ``personExport``
write it; docs/person-export.md describes every field. The document::

    {
      "format": "graph360.person-export",
      "version": 1,
      "exported_at": "2026-12-02T18:00:00",          # UTC
      "customer": {...},            # the Customer node: profile and the scores computed on it
      "source_records": [...],      # every source record, as loaded (attributes parsed)
      "merge_history": [...],       # how each record was linked: rule, via which record, when
      "touchpoints": [...],         # every touchpoint, all properties, with what it links to
      "flags": [...], "actions": [...],
      "relationships": [...],       # kind, direction, weight, since: not the other person
      "accounts": [...],            # held accounts, role, managing department
      "campaigns": [...],           # distribution lists the person is on
      "consents": [...],            # every consent statement, with its history
      "merge_log": [...],           # merges and splits by hand that named them
      "never_merge": [...],         # rules keeping their records apart from others'
      "match_reviews": [...]        # pairs the matching proposed for review, and the decision
    }

:data:`SECTIONS` names, for every node label that can hold a person's data, the section it is
exported in: a test checks that no label linked to a customer is left out. Relationships
leave out the related person's id, name and scores: they are someone else's data (art. 15(4)).
Every value is JSON: times as ISO-8601 text in UTC, extra attributes as objects.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = ["FORMAT", "SECTIONS", "VERSION", "export_person"]

FORMAT = "graph360.person-export"
VERSION = 1

#: Node label -> the export section that holds it. Labels that hold no one's personal data
#: (departments, journeys, steps, products, the graph's bookkeeping) are named with None.
SECTIONS: dict[str, str | None] = {
    "Customer": "customer",
    "SourceRecord": "source_records",
    "Identifier": "source_records",  # the normalised e-mail/phone of each record
    "Touchpoint": "touchpoints",
    "Flag": "flags",
    "Action": "actions",
    "Account": "accounts",
    "Campaign": "campaigns",
    "Consent": "consents",
    "Department": None,
    "Journey": None,
    "JourneyStep": None,
    "Product": None,
    "LastLoad": None,
    "Meta": None,
    "Suppression": None,  # digests of erased people: nobody's readable data
    "ErasureLog": None,  # holds no personal data by design (graph360.erasure)
    "MergeLog": "merge_log",
    "NeverMerge": "never_merge",
    "ReviewPair": "match_reviews",
    "MatchModel": None,  # the matching's trained weights: about fields, not about anyone
}
#: At most this many merge-log entries (a person merged and split by hand a thousand times).
MAX_LOG = 10_000


def export_person(store: GraphStore, customer_id: str, *, now: dt.datetime | None = None) -> dict:
    """The whole export of ``customer_id`` (resolve a reference first with
    ``graph360.analytics.card.resolve_customer``), as plain JSON-ready data."""
    from graph360.consent import customer_consents
    from graph360.errors import NotFoundError

    profile = store.query("customer_profile", customer_id=customer_id)
    if not profile:
        raise NotFoundError(f"no customer {customer_id!r}")
    records = store.query("customer_records", customer_id=customer_id)
    relationships = [
        {k: row[k] for k in ("direction", "kind", "weight", "since")}
        for row in store.query("customer_relationships", customer_id=customer_id)
    ]
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now or utc_now(),
        "customer": {**profile[0], "attributes": _parsed(profile[0].get("attributes"))},
        "source_records": [
            {
                k: (_parsed(v) if k == "attributes" else v)
                for k, v in row.items()
                if k not in ("rule", "via", "linked_at")
            }
            for row in records
        ],
        "merge_history": [
            {
                "record_key": row["record_key"],
                "rule": row["rule"],
                "via": row["via"],
                "at": row["linked_at"],
            }
            for row in records
        ],
        "touchpoints": [
            {**row, "attributes": _parsed(row["attributes"])}
            for row in store.query("export_touchpoints", customer_id=customer_id)
        ],
        "flags": store.query("customer_flags", customer_id=customer_id),
        "actions": store.query("customer_actions", customer_id=customer_id),
        "relationships": sorted(relationships, key=lambda r: (r["direction"], r["kind"])),
        "accounts": store.query("customer_accounts", customer_id=customer_id),
        "campaigns": store.query("customer_campaigns", customer_id=customer_id),
        "consents": customer_consents(store, customer_id)["statements"],
        # Merges and splits by hand that named them, and rules keeping their records apart
        # from others' (graph360.merges).
        "merge_log": [
            {**row, **{k: _parsed(row[k]) for k in ("evidence", "records")}}
            for row in store.query("merges_log_of_customer", customer_id=customer_id, limit=MAX_LOG)
        ],
        "never_merge": sorted(
            {
                row["rule_id"]: {**row, **{k: _parsed(row[k]) for k in ("records_a", "records_b")}}
                for record in records
                for row in store.query(
                    "export_never_merge", quoted=json.dumps(record["record_key"])
                )
            }.values(),
            key=lambda r: r["rule_id"],
        ),
        "match_reviews": [
            {**row, "evidence": _parsed(row["evidence"])}
            for row in store.query("export_review_pairs", customer_id=customer_id)
        ],
    }
    return json.loads(json.dumps(document, default=_json))


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        return json.loads(value)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
