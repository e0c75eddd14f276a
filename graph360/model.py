"""The graph schema: every label, relationship type and property, declared once.

Everything else derives from this module: the LadybugDB tables, the Neo4j constraints, the
Arrow schemas the loader builds its frames with, and the labels and types that may ever be
written into query text. Nothing outside this module spells a label or a property type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

#: Property types, named as LadybugDB names them; Neo4j stores the same values natively.
STRING, INT64, DOUBLE, TIMESTAMP, BOOL = "STRING", "INT64", "DOUBLE", "TIMESTAMP", "BOOL"

ARROW_TYPES: dict[str, pa.DataType] = {
    STRING: pa.string(),
    INT64: pa.int64(),
    DOUBLE: pa.float64(),
    TIMESTAMP: pa.timestamp("us"),
    BOOL: pa.bool_(),
}


@dataclass(frozen=True)
class NodeType:
    """A node label with its key property (first) and its other properties, in order."""

    label: str
    key: str
    properties: dict[str, str]

    @property
    def columns(self) -> dict[str, str]:
        return {self.key: STRING, **self.properties}

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in self.columns.items()])


@dataclass(frozen=True)
class RelType:
    """A relationship type between two labels.

    ``identity`` names the properties that tell two parallel relationships between the same
    pair of nodes apart (RELATED has one per kind); every other pair holds at most one.
    """

    type: str
    source: str
    target: str
    properties: dict[str, str] = field(default_factory=dict)
    identity: tuple[str, ...] = ()

    def arrow_schema(self) -> pa.Schema:
        fields = [("from", pa.string()), ("to", pa.string())]
        fields += [(name, ARROW_TYPES[kind]) for name, kind in self.properties.items()]
        return pa.schema(fields)


#: Free-form extra columns of an import row, kept as one JSON object per node.
ATTRIBUTES = {"attributes": STRING}
#: The content hash of the import row a node or relationship was written from
#: (``graph360.ingest.rowhash``): a re-load writes only rows whose hash changed.
ROW_HASH = {"row_hash": INT64}

NODES: dict[str, NodeType] = {
    node.label: node
    for node in [
        NodeType(
            "Customer",
            "customer_id",
            {
                "name": STRING,
                "email": STRING,
                "phone": STRING,
                "gender": STRING,
                "birth_date": TIMESTAMP,
                "city": STRING,
                "region": STRING,
                "country": STRING,
                "segment": STRING,
                "persona": STRING,
                "lifecycle_stage": STRING,
                "created_at": TIMESTAMP,
                # Written by the analytics, read by the 360 card without recomputing.
                "pagerank": DOUBLE,
                "influence_rank": INT64,
                "reach": INT64,
                "community": INT64,
                "influence_at": TIMESTAMP,
                "current_value": DOUBLE,
                "potential_value": DOUBLE,
                "at_risk": DOUBLE,
                "value_at": TIMESTAMP,
                **ATTRIBUTES,
                **ROW_HASH,
            },
        ),
        NodeType(
            "SourceRecord",
            "record_key",
            {
                "source": STRING,
                "source_id": STRING,
                "email": STRING,
                "phone": STRING,
                "name": STRING,
                # The customer fields as this record gave them: the customer shows one
                # record's value of each (survivorship), and a split customer's part gets
                # back its own records' values (graph360.merges).
                "gender": STRING,
                "birth_date": TIMESTAMP,
                "city": STRING,
                "region": STRING,
                "country": STRING,
                "segment": STRING,
                "persona": STRING,
                "lifecycle_stage": STRING,
                "created_at": TIMESTAMP,
                "loaded_at": TIMESTAMP,
                # As the record typed them: probabilistic matching compares them (issue 15).
                "address": STRING,
                "postcode": STRING,
                # A device's or cookie's id (GA4's user_pseudo_id), and the record a sign-in
                # names ("source:customer_id"): how an anonymous visitor joins a customer
                # (graph360.ingest.identity, rule identify).
                "pseudo_id": STRING,
                "identified_as": STRING,
                **ATTRIBUTES,
                **ROW_HASH,
            },
        ),
        NodeType(
            "Account",
            "account_id",
            {
                "name": STRING,
                "kind": STRING,
                "status": STRING,
                "plan": STRING,
                "opened_at": TIMESTAMP,
                "value": DOUBLE,
                **ATTRIBUTES,
                **ROW_HASH,
            },
        ),
        NodeType(
            "Department",
            "department_id",
            {"name": STRING, "division": STRING, **ATTRIBUTES, **ROW_HASH},
        ),
        NodeType(
            "Campaign",
            "campaign_id",
            {
                "name": STRING,
                "channel": STRING,
                "objective": STRING,
                "started_at": TIMESTAMP,
                "ended_at": TIMESTAMP,
                **ATTRIBUTES,
                **ROW_HASH,
            },
        ),
        NodeType(
            "Touchpoint",
            "touchpoint_id",
            {
                "at": TIMESTAMP,
                "channel": STRING,
                "kind": STRING,
                "value": DOUBLE,
                "rating": DOUBLE,
                "rating_scale": INT64,
                "sentiment": DOUBLE,
                "text": STRING,
                "outcome": STRING,
                "resolution": STRING,
                "source": STRING,
                # The source record its customer reference named (graph360.merges: a split
                # moves a record's touchpoints with it).
                "record_key": STRING,
                **ATTRIBUTES,
                **ROW_HASH,
                # Computed at load for a text whose source gave no sentiment (never over the
                # source's `sentiment`), and what computed it (graph360.ingest.sentiment).
                "sentiment_computed": DOUBLE,
                "sentiment_model": STRING,
                # Who handled it, as the source names the agent (support desk, call centre).
                "agent_id": STRING,
            },
        ),
        NodeType(
            "Journey",
            "journey_id",
            {"name": STRING, "persona": STRING, **ATTRIBUTES, **ROW_HASH},
        ),
        NodeType(
            "JourneyStep",
            "step_id",
            {
                "name": STRING,
                "stage": STRING,
                "position": INT64,
                "journey_id": STRING,
                **ATTRIBUTES,
                **ROW_HASH,
            },
        ),
        NodeType(
            "Product",
            "product_id",
            {"name": STRING, "category": STRING, **ATTRIBUTES, **ROW_HASH},
        ),
        NodeType(
            "Flag",
            "flag_id",
            {
                "kind": STRING,
                "severity": STRING,
                "reason": STRING,
                "raised_at": TIMESTAMP,
                "status": STRING,
            },
        ),
        # What the last load of a whole bundle left (graph360.ingest.changes.bundle_digest):
        # loading the same bundle into the graph that load left is then a digest comparison.
        NodeType("LastLoad", "digest", {"report": STRING, "loaded_at": TIMESTAMP}),
        # An e-mail or phone, keyed by its normalised form (an address, or E.164: the two never
        # collide): found by its primary key, where a property of SourceRecord would be a scan
        # (graph360.ingest.identifiers).
        NodeType("Identifier", "key", {"kind": STRING, "value": STRING}),
        # The graph's version: every committed write bumps it (graph360.facts.bump_version), so
        # the analytics' columnar projection knows which state of the graph it reflects.
        NodeType("Meta", "name", {"version": INT64, "written_at": TIMESTAMP}),
        # One source's statement of a person's consent to one purpose on one channel
        # (graph360.consent): keyed "<source>:<the source's id or e-mail>:<purpose>:<channel>",
        # so each source keeps its own current statement; the statements it replaced stay in
        # ``history`` (a JSON list, newest first). The person's effective consent is the latest.
        NodeType(
            "Consent",
            "consent_id",
            {
                "purpose": STRING,
                "channel": STRING,
                "status": STRING,
                "at": TIMESTAMP,
                "source": STRING,
                "history": STRING,
                **ROW_HASH,
            },
        ),
        # An erased person's e-mail or phone (graph360.erasure), keyed by a SHA-256 of its
        # normalised form (Identifier's key), never the value itself: a later load or event
        # carrying it is not re-created. ``erasure_id`` ties it to its ErasureLog entry.
        # ``bucket``: a quick 64-bit hash of the value (graph360.suppression.quick_hash), so a
        # load hashes its identifiers with SHA-256 only where the quick hash matches.
        NodeType(
            "Suppression",
            "digest",
            {"kind": STRING, "bucket": INT64, "erasure_id": STRING, "at": TIMESTAMP},
        ),
        # What an erasure did, without personal data: counts per label, mode, who and when.
        NodeType(
            "ErasureLog",
            "erasure_id",
            {"mode": STRING, "reason": STRING, "by": STRING, "at": TIMESTAMP, "counts": STRING},
        ),
        # One entry per merge, split or never-merge rule: what, when, why, the evidence and who
        # (graph360.merges). Record keys only: no e-mail, phone or name is copied here.
        NodeType(
            "MergeLog",
            "entry_id",
            {
                "kind": STRING,  # merge | unmerge | never_merge
                "at": TIMESTAMP,
                "who": STRING,
                "rule": STRING,
                "evidence": STRING,  # JSON object
                "customer_id": STRING,  # the customer kept (merge) or split (unmerge)
                "other_id": STRING,  # the customer folded in, or the one split off
                "records": STRING,  # JSON list of the record keys moved
            },
        ),
        # Two groups of source records that are not one person, whatever they share: loads,
        # events and matching never link them (graph360.merges, graph360.ingest.identity).
        NodeType(
            "NeverMerge",
            "rule_id",
            {"records_a": STRING, "records_b": STRING, "at": TIMESTAMP, "who": STRING},
        ),
        NodeType(
            "Action",
            "action_id",
            {
                "kind": STRING,
                "status": STRING,
                "due_at": TIMESTAMP,
                "created_at": TIMESTAMP,
                "reason": STRING,
            },
        ),
        # Probabilistic matching (graph360.matching): the trained model (Splink's JSON and its
        # term frequencies) and when it last ran, so later records are scored by the same weights.
        NodeType(
            "MatchModel",
            "name",
            {"model": STRING, "trained_at": TIMESTAMP, "matched_at": TIMESTAMP},
        ),
        # A pair of records the matching found likely but not sure: a person accepts (merge)
        # or rejects it (never proposed again). status: open, accepted, rejected.
        NodeType(
            "ReviewPair",
            "pair_id",
            {
                "record_a": STRING,
                "record_b": STRING,
                "probability": DOUBLE,
                "evidence": STRING,
                "status": STRING,
                "created_at": TIMESTAMP,
                "decided_at": TIMESTAMP,
                "decided_by": STRING,
            },
        ),
    ]
}

RELATIONSHIPS: dict[str, RelType] = {
    rel.type: rel
    for rel in [
        RelType(
            "IDENTIFIED_BY",
            "Customer",
            "SourceRecord",
            # probability: a probabilistic link's (graph360.matching), else empty.
            {"rule": STRING, "via": STRING, "at": TIMESTAMP, "probability": DOUBLE},
        ),
        RelType("IDENTIFIES", "Identifier", "SourceRecord"),
        # record_key on HOLDS, RELATED (one per end) and TARGETS: the source record the row
        # named, so a split customer's part keeps its own holdings, relationships and
        # campaign memberships (graph360.merges).
        RelType("HOLDS", "Customer", "Account", {"role": STRING, "record_key": STRING, **ROW_HASH}),
        RelType("MANAGED_BY", "Account", "Department"),
        RelType(
            "RELATED",
            "Customer",
            "Customer",
            {
                "kind": STRING,
                "weight": DOUBLE,
                "since": TIMESTAMP,
                "from_record": STRING,
                "to_record": STRING,
                **ROW_HASH,
            },
            identity=("kind",),
        ),
        RelType("RUN_BY", "Campaign", "Department"),
        RelType(
            "TARGETS",
            "Campaign",
            "Customer",
            {"added_at": TIMESTAMP, "record_key": STRING, **ROW_HASH},
        ),
        RelType("HAD", "Customer", "Touchpoint"),
        RelType("FROM_CAMPAIGN", "Touchpoint", "Campaign"),
        RelType("AT_STEP", "Touchpoint", "JourneyStep"),
        RelType("HANDLED_BY", "Touchpoint", "Department"),
        RelType("FOR_PRODUCT", "Touchpoint", "Product"),
        RelType("HAS_STEP", "Journey", "JourneyStep"),
        RelType("NEXT", "JourneyStep", "JourneyStep"),
        RelType("OWNED_BY", "JourneyStep", "Department"),
        RelType("FLAGGED", "Customer", "Flag"),
        RelType("NEEDS", "Customer", "Action"),
        RelType("ASSIGNED_TO", "Action", "Department"),
        RelType("TRIGGERED_BY", "Action", "Touchpoint"),
        RelType("CONSENTED", "Customer", "Consent"),
        # A review pair's two records (side 'a' and 'b').
        RelType("PROPOSES", "ReviewPair", "SourceRecord", {"side": STRING}),
    ]
}

#: The fields a customer shows from its records: each record keeps its own value as it was
#: typed, and the customer takes one record's (graph360.ingest.load folds them on a load,
#: graph360.merges after a merge or a split).
CUSTOMER_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "city",
    "region",
    "country",
    "segment",
    "persona",
    "lifecycle_stage",
    "created_at",
)
#: The Customer properties a fold of its records writes (the fields, its key and the e-mail and
#: phone it is reached by), with the fold's row hash: what a load or a refold writes.
CUSTOMER_FOLD = ("customer_id", "email", "phone", *CUSTOMER_FIELDS, "row_hash")
#: Properties graph360 computes from a row rather than reads from it: not part of the row's
#: content hash (graph360.ingest.changes), so computing them never makes a row "changed".
COMPUTED = frozenset({"sentiment_computed", "sentiment_model"})
#: Properties added to a label after graphs were loaded with row hashes: hashed only where a
#: row has a value, so the rows written before keep their hash (graph360.ingest.changes).
LATE = {"Touchpoint": ("agent_id",)}

#: Relationship kinds between customers, and which way each one carries influence.
RELATIONSHIP_KINDS = ("referred", "household", "colleague", "follows", "knows")
SYMMETRIC_KINDS = frozenset({"household", "colleague", "knows"})


#: The purposes a person consents to (or refuses), each with the channel it is about by default
#: ("any": every channel). A consent statement names one purpose and one channel.
CONSENT_PURPOSES: dict[str, str] = {
    "email_marketing": "email",
    "sms": "sms",
    "phone": "phone",
    "profiling": "any",
}
#: What a consent statement says. ``unknown`` is a statement that decides nothing (a
#: double opt-in still pending); only ``refused`` leaves a person out of suggestions.
CONSENT_STATUSES = ("granted", "refused", "unknown")

#: What a touchpoint's kind and sentiment mean, shared by the load (graph360.ingest), the
#: projection (graph360.facts) and the analytics: defined here, below all of them.
#: A complaint: a touchpoint of one of these kinds (graph360.analytics.routing routes them).
COMPLAINT_KINDS = ("ticket", "complaint")
#: Touchpoint kinds whose text is what a person said or wrote: a ticket (one phoned in too: the
#: desk records the caller's request as its subject), a complaint, a survey comment, a review,
#: a social mention, a chat message. Other kinds carry text that is no one's voice (a page
#: title, a product name, a link): it is neither scored nor themed. A ``call`` is not a voice:
#: it leaves no words of the customer's own, and what a system holds of it is what the caller's
#: company typed (a CRM's subject line, "Business Sales call: Team licences outreach", the same
#: for every call of a campaign; an agent's sales notes), docs/DECISIONS.md.
VOICE_KINDS = (
    "ticket",
    "complaint",
    "survey",
    "nps",
    "csat",
    "review",
    "mention",
    "comment",
    "feedback",
    "message",
    "chat",
)
#: VADER's own cut-offs for its compound score: below NEGATIVE is negative, above POSITIVE
#: positive, between them neutral (graph360.ingest.sentiment scores text with VADER). The
#: analytics use the same ones for a source's sentiment.
NEGATIVE, POSITIVE = -0.05, 0.05


def node(label: str) -> NodeType:
    """The declared node type; a KeyError names a label that is not in the model."""
    return NODES[label]


def relationship(rel_type: str) -> RelType:
    return RELATIONSHIPS[rel_type]


def rels_touching(label: str) -> list[RelType]:
    """Every relationship type with ``label`` at either end (used to re-point merged nodes)."""
    return [r for r in RELATIONSHIPS.values() if label in (r.source, r.target)]
