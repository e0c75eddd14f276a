"""The identifier index: every normalised e-mail and phone, a node found by its primary key.

LadybugDB indexes only primary keys, so "which records carry ada@example.org" was a scan of
every SourceRecord (180 ms at 1M customers), on the card's e-mail look-up and on every live
event's identity neighbourhood. Here each identifier is a node of its own, ``Identifier``,
keyed by its normalised form (``graph360.ingest.identity``: a lower-case address, or E.164),
with an ``IDENTIFIES`` relationship to each source record that carries it. The two forms never
meet (an address has an ``@``, an E.164 number is ``+`` and digits), so the key is the value
itself and a query passes it as a plain ``$parameter``: LadybugDB probes its primary-key index
only for a parameter or literal, and scans for an expression (``'email:' + $e``) or an
``UNWIND`` list (measured with EXPLAIN), so :func:`records_carrying` asks once per identifier.
On Neo4j the key is a uniqueness constraint like every node key (``graph360.store.neo4j``).

It points at the records, not the customers: a record's identifiers change only when the record
does, while customers merge and move; the customer is one more hop (``IDENTIFIED_BY``). A
placeholder identifier (blocked, ``identity``) is indexed like any other: resolution needs to
count its carriers to know it is one.

The loader's write (``load.write_batch``) and a live event's (``events.write_events_batch``)
keep it up to date with the records they write (:func:`write_index`);
:func:`index_stored_records` builds it for a graph loaded before it existed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from graph360 import model
from graph360.ingest import identity
from graph360.store.base import GraphStore

if TYPE_CHECKING:
    from graph360.ingest.load import Batch

__all__ = [
    "KINDS",
    "carrier_counts",
    "identifier_tables",
    "index_stored_records",
    "key_of",
    "kind_of",
    "records_carrying",
    "sign_ins_naming",
    "value_of",
    "write_index",
]

#: Up to this many changed records (or old identifiers), they are read and dropped by key (a
#: probe each, about 0.5 ms at 1M), else in one scan (about 0.2 s at 1M).
BY_KEY_RECORDS = 400
#: The identifier kinds, each a normalised column of SourceRecord.
KINDS = identity.KINDS
#: A pseudo id's key starts so: a device id can look like anything, even "+4420…", and must
#: never meet an e-mail or phone of the same text.
PSEUDO_PREFIX = "pseudo:"
#: A sign-in's ``identified_as`` is indexed too, under this prefix, so the record it names
#: finds the sign-ins that came before it (a probe, where the column alone would be a scan).
#: It is a pointer, not an identifier resolution counts: no carrier count ever blocks it.
SIGNIN_PREFIX = "signin:"
#: The SourceRecord columns the index holds, and each one's key prefix.
_PREFIXES = {"email": "", "phone": "", "pseudo_id": PSEUDO_PREFIX, "identified_as": SIGNIN_PREFIX}


def key_of(kind: str, value: str) -> str:
    """The index key of one normalised identifier (or of a sign-in's ``identified_as``): the
    value itself, a pseudo id or a sign-in's record prefixed."""
    return _PREFIXES[kind] + value


def identifier_tables(records: pa.Table | pd.DataFrame) -> tuple[pa.Table, pa.Table]:
    """The ``Identifier`` nodes and ``IDENTIFIES`` relationships of ``records``: rows with
    ``record_key`` and the normalised ``email`` and ``phone`` (SourceRecord's columns)."""
    frame = records.to_pandas() if isinstance(records, pa.Table) else records
    parts = []
    for kind, prefix in _PREFIXES.items():
        if kind not in frame:
            continue
        carried = frame[["record_key", kind]].dropna(subset=[kind])
        values = carried[kind].astype(str)
        keys = prefix + values
        parts.append(
            pd.DataFrame(
                {
                    "key": keys.to_numpy(object),
                    "kind": kind,
                    "value": values.to_numpy(object),
                    "record_key": carried["record_key"].astype(str).to_numpy(object),
                }
            )
        )
    pairs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_COLUMNS)
    nodes = pairs.drop_duplicates("key")
    links = pairs.drop_duplicates(["key", "record_key"])
    return (
        pa.table(
            {c: pa.array(nodes[c].tolist(), pa.string()) for c in ("key", "kind", "value")},
            schema=model.node("Identifier").arrow_schema(),
        ),
        pa.table(
            {
                "from": pa.array(links["key"].tolist(), pa.string()),
                "to": pa.array(links["record_key"].tolist(), pa.string()),
            }
        ),
    )


_COLUMNS = ["key", "kind", "value", "record_key"]


def write_index(store: GraphStore, batch: Batch, written: list[pa.Table]) -> None:
    """Bring the index up to date with the source records ``batch`` writes, ``written`` (its
    SourceRecord tables; call inside the batch's write, after its nodes): a changed record's
    old identifiers unlinked (and dropped when no record carries them any more, as a clean
    load would not have them), every written record's identifiers linked."""
    changed = batch.changes.get("customers")
    old: list[str] = []
    if changed is not None and len(changed.changed_keys):
        keys = changed.changed_keys.to_pylist()
        if len(keys) <= BY_KEY_RECORDS:  # a live event's few records: probes, no scan
            rows = [r for k in keys for r in store.query("identifiers_of_record", record_key=k)]
        else:  # a load's thousands: one scan is cheaper than thousands of probes
            rows = store.query("identifiers_of_records", record_keys=keys)
        old = [row["key"] for row in rows]
        store.delete_relationships_of("IDENTIFIES", "target", changed.changed_keys)
    if written:
        columns = ["record_key", *_PREFIXES]
        records = pa.concat_tables([rows.select(columns) for rows in written])
        nodes, links = identifier_tables(records)
        store.upsert_nodes("Identifier", nodes)
        store.upsert_relationships("IDENTIFIES", links)
    if len(set(old)) <= BY_KEY_RECORDS:
        for key in sorted(set(old)):
            store.write("drop_uncarried_identifier", key=key)
    else:
        store.write("drop_uncarried_identifiers", keys=sorted(set(old)))


def index_stored_records(store: GraphStore) -> int:
    """Index the identifiers of every record already in ``store`` (one scan; idempotent, so
    safe to run again): for a graph loaded before the index existed. How many identifiers."""
    nodes, links = identifier_tables(store.frame("identity_records"))
    with store.atomic():
        store.upsert_nodes("Identifier", nodes)
        store.upsert_relationships("IDENTIFIES", links)
    return nodes.num_rows


def records_carrying(store: GraphStore, identifiers: set[str]) -> pd.DataFrame:
    """Every source record carrying one of these normalised e-mails or phones, with its
    customer (``record_key``, ``email``, ``phone``, ``name``, ``customer_id``): a primary-key
    probe of the index per identifier, never a scan of the records."""
    rows = [
        row
        for key in sorted(identifiers)
        for row in store.query("identity_records_carrying", key=key)
    ]
    columns = list(identity.IDENTITY_COLUMNS)
    return pd.DataFrame(rows, columns=columns).drop_duplicates("record_key", ignore_index=True)


def sign_ins_naming(store: GraphStore, record_keys: set[str]) -> pd.DataFrame:
    """The stored sign-in records whose ``identified_as`` is one of ``record_keys`` (as
    :func:`records_carrying`): a sign-in may come before the record it names."""
    return records_carrying(store, {key_of("identified_as", k) for k in record_keys})


def carrier_counts(store: GraphStore, identifiers: set[str]) -> dict[str, int]:
    """How many records carry each of these normalised e-mails or phones, keyed as identity
    resolution names them ("email:…", "phone:…")."""
    counts = {}
    for key in sorted(identifiers):
        carriers = len(store.query("identity_records_carrying", key=key))
        counts[f"{kind_of(key)}:{value_of(key)}"] = carriers
    return counts


def kind_of(key: str) -> str:
    """An identifier's kind from its key: pseudo ids are prefixed (``key_of``), phones are
    E.164 (+…), e-mails never start so."""
    if key.startswith(PSEUDO_PREFIX):
        return "pseudo_id"
    if key.startswith(SIGNIN_PREFIX):
        return "identified_as"
    return "phone" if key.startswith("+") else "email"


def value_of(key: str) -> str:
    """The identifier an index key stands for (``key_of`` undone)."""
    return key[len(_PREFIXES[kind_of(key)]) :]
