"""The Cypher the Neo4j store writes from the model, and its batching; pure, no server needed."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from graph360 import model
from graph360.errors import StoreError

#: Rows per ``UNWIND $rows … MERGE`` transaction. Neo4j's own guidance for batched MERGE on
#: indexed keys is 10k to 50k rows per transaction: large enough that the per-transaction round
#: trip and commit (a log flush) are amortised, small enough that the transaction state stays
#: in a few tens of MB of heap. 10k is the cautious end, since a Touchpoint row carries free
#: text. Not measured on a server here: ``bench/neo4j_load.py --batch N`` measures it.
BATCH_ROWS = 10_000
#: How long ``apply_schema`` waits for new indexes to come online.
INDEX_WAIT_SECONDS = 300
#: Properties the named queries filter on (WHERE … =, <, >, IN, IS NOT NULL), beyond the keys,
#: which have uniqueness constraints (and so an index) already. A range index serves all of
#: those predicates. ``tests/test_neo4j_store.py`` checks that every such filter in
#: queries/ is covered here and that every entry is in the model.
INDEXED: dict[str, tuple[str, ...]] = {
    "Customer": ("email", "segment", "influence_rank", "value_at"),
    "SourceRecord": ("email", "phone", "birth_date", "loaded_at"),
    "ReviewPair": ("status", "decided_at", "decided_by"),
    "Account": ("opened_at",),
    "Touchpoint": ("at", "kind", "channel", "value", "rating", "record_key", "text", "sentiment"),
    "Flag": ("kind", "severity", "status"),
    "Action": ("kind",),
    "MergeLog": ("customer_id", "other_id"),  # a customer's merge log, and its erasure
    "RELATED": ("kind", "from_record", "to_record"),
    "HOLDS": ("record_key",),
    "TARGETS": ("record_key",),
    "Consent": ("purpose",),  # graph360.consent.refusals
}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
T = TypeVar("T")


def batches(rows: Sequence[T], size: int = BATCH_ROWS) -> Iterator[Sequence[T]]:
    """``rows`` in consecutive slices of at most ``size``, in order; nothing for no rows.

    >>> [list(b) for b in batches([1, 2, 3, 4, 5], 2)]
    [[1, 2], [3, 4], [5]]
    """
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def last_wins(rows: Sequence[dict[str, Any]], identity: Sequence[str]) -> list[dict[str, Any]]:
    """One row per identity, the last one given winning, at the place of its last occurrence.

    The same rule as the embedded store. Applied before batching, so no key is split across
    two transactions and each key's final values never depend on batch boundaries.

    >>> last_wins([{"k": "a", "v": 1}, {"k": "b", "v": 2}, {"k": "a", "v": 3}], ["k"])
    [{'k': 'b', 'v': 2}, {'k': 'a', 'v': 3}]
    """
    last: dict[tuple[Any, ...], int] = {}
    for index, row in enumerate(rows):
        last[tuple(row[name] for name in identity)] = index
    if len(last) == len(rows):
        return list(rows)
    return [rows[i] for i in sorted(last.values())]


def _name(name: str) -> str:
    """A label, type or property name fit to write into query text (they come from the model)."""
    if not _IDENTIFIER.match(name):
        raise StoreError(f"{name!r} is not a plain identifier; refusing to write it into Cypher")
    return name


def _index_name(owner: str, prop: str, suffix: str) -> str:
    return f"graph360_{owner.lower()}_{prop}_{suffix}"


def schema_statements() -> list[str]:
    """The constraints and indexes the model needs: a uniqueness constraint on every node key
    (which also indexes it, and makes concurrent MERGEs safe), and a range index on every
    property in ``INDEXED``."""
    statements = []
    for node in model.NODES.values():
        label, key = _name(node.label), _name(node.key)
        statements.append(
            f"CREATE CONSTRAINT {_index_name(label, key, 'key')} IF NOT EXISTS "
            f"FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"
        )
    for owner, props in INDEXED.items():
        for prop in props:
            name = _index_name(owner, _name(prop), "index")
            if owner in model.NODES:
                target = f"(n:{_name(owner)})"
            else:
                target = f"()-[n:{_name(model.relationship(owner).type)}]-()"
            statements.append(f"CREATE INDEX {name} IF NOT EXISTS FOR {target} ON (n.{prop})")
    return statements


AWAIT_INDEXES = f"CALL db.awaitIndexes({INDEX_WAIT_SECONDS})"
#: Deletes up to $batch nodes with their relationships; run until it deletes nothing.
DELETE_SOME = "MATCH (n) WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS deleted"


def merge_nodes_text(label: str, given: Sequence[str]) -> str:
    """``UNWIND $rows … MERGE`` by key, setting exactly the ``given`` properties."""
    node = model.node(label)
    text = f"UNWIND $rows AS row MERGE (n:{_name(label)} {{{_name(node.key)}: row.{node.key}}})"
    if given:
        text += " SET " + ", ".join(f"n.{_name(p)} = row.{p}" for p in given)
    return text


def merge_relationships_text(rel_type: str, given: Sequence[str]) -> str:
    """``UNWIND $rows … MERGE`` of relationships between existing endpoints; returns how many
    rows found both ends (the caller refuses a batch naming a node that does not exist)."""
    rel = model.relationship(rel_type)
    source, target = model.node(rel.source), model.node(rel.target)
    identity = ", ".join(f"{_name(p)}: row.{p}" for p in rel.identity)
    identity = f" {{{identity}}}" if identity else ""
    text = (
        f"UNWIND $rows AS row "
        f"MATCH (a:{_name(rel.source)} {{{_name(source.key)}: row.source}}) "
        f"MATCH (b:{_name(rel.target)} {{{_name(target.key)}: row.target}}) "
        f"MERGE (a)-[r:{_name(rel_type)}{identity}]->(b)"
    )
    if given:
        text += " SET " + ", ".join(f"r.{_name(p)} = row.{p}" for p in given)
    return text + " RETURN count(r) AS written"


def lookup_text(label: str, columns: Sequence[str]) -> str:
    """The ``columns`` of the ``label`` nodes whose keys are in ``$keys``."""
    node = model.node(label)
    returned = ", ".join(f"n.{_name(c)} AS {c}" for c in columns)
    return f"UNWIND $keys AS k MATCH (n:{_name(label)} {{{_name(node.key)}: k}}) RETURN {returned}"


def generated_statements() -> dict[str, str]:
    """Every Cypher text this module generates for the model, by a descriptive name (linted)."""
    texts = {f"schema {i}": text for i, text in enumerate(schema_statements())}
    texts["await indexes"] = AWAIT_INDEXES
    texts["delete some"] = DELETE_SOME
    for label, node in model.NODES.items():
        texts[f"merge {label}"] = merge_nodes_text(label, list(node.properties))
        texts[f"merge {label} key only"] = merge_nodes_text(label, [])
        texts[f"lookup {label}"] = lookup_text(label, list(node.columns))
    for rel_type, rel in model.RELATIONSHIPS.items():
        settable = [p for p in rel.properties if p not in rel.identity]
        texts[f"merge {rel_type}"] = merge_relationships_text(rel_type, settable)
        texts[f"merge {rel_type} identity only"] = merge_relationships_text(rel_type, [])
    return texts
