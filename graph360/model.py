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
                "loaded_at": TIMESTAMP,
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
    ]
}

RELATIONSHIPS: dict[str, RelType] = {
    rel.type: rel
    for rel in [
        RelType(
            "IDENTIFIED_BY",
            "Customer",
            "SourceRecord",
            {"rule": STRING, "via": STRING, "at": TIMESTAMP},
        ),
        RelType("IDENTIFIES", "Identifier", "SourceRecord"),
        RelType("HOLDS", "Customer", "Account", {"role": STRING, **ROW_HASH}),
        RelType("MANAGED_BY", "Account", "Department"),
        RelType(
            "RELATED",
            "Customer",
            "Customer",
            {"kind": STRING, "weight": DOUBLE, "since": TIMESTAMP, **ROW_HASH},
            identity=("kind",),
        ),
        RelType("RUN_BY", "Campaign", "Department"),
        RelType("TARGETS", "Campaign", "Customer", {"added_at": TIMESTAMP, **ROW_HASH}),
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
    ]
}

#: Properties graph360 computes from a row rather than reads from it: not part of the row's
#: content hash (graph360.ingest.changes), so computing them never makes a row "changed".
COMPUTED = frozenset({"sentiment_computed", "sentiment_model"})
#: Properties added to a label after graphs were loaded with row hashes: hashed only where a
#: row has a value, so the rows written before keep their hash (graph360.ingest.changes).
LATE = {"Touchpoint": ("agent_id",)}

#: Relationship kinds between customers, and which way each one carries influence.
RELATIONSHIP_KINDS = ("referred", "household", "colleague", "follows", "knows")
SYMMETRIC_KINDS = frozenset({"household", "colleague", "knows"})


def node(label: str) -> NodeType:
    """The declared node type; a KeyError names a label that is not in the model."""
    return NODES[label]


def relationship(rel_type: str) -> RelType:
    return RELATIONSHIPS[rel_type]


def rels_touching(label: str) -> list[RelType]:
    """Every relationship type with ``label`` at either end (used to re-point merged nodes)."""
    return [r for r in RELATIONSHIPS.values() if label in (r.source, r.target)]
