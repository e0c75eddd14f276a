"""The Arrow tables a load writes: one per node label and relationship type, named by the model.

Labels, relationship types and property columns come from :mod:`graph360.model`; what is
spelled here is only which frame column feeds which property (``renamed``), which properties a
file does not give (``without``) and which frame columns are a relationship's two ends.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from graph360 import arrays, consent, model
from graph360.ingest.columns import text_array
from graph360.periods import utc_now
from graph360.store.base import GraphStore

if TYPE_CHECKING:
    from graph360.ingest.people import People


def _table(frame: pd.DataFrame, columns: dict[str, str]) -> pa.Table:
    """Columns of ``frame`` renamed (source name -> graph name), as Arrow."""
    data = {}
    for source, target in columns.items():
        values = frame[source] if source in frame else pd.Series(None, index=frame.index)
        data[target] = _arrow_column(values)
    return pa.table(data) if data else pa.table({})


def _arrow_column(values: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(values):
        return pa.array(values.astype("datetime64[us]"), pa.timestamp("us"))
    if pd.api.types.is_float_dtype(values):
        return pa.array(values, pa.float64(), from_pandas=True)
    if pd.api.types.is_integer_dtype(values):
        return pa.array(values.astype("Int64"), pa.int64(), from_pandas=True)
    return text_array(values)


def _same(*names: str) -> dict[str, str]:
    return {name: name for name in names}


#: Columns a reference file's nodes leave out: only customers and touchpoints keep their extra
#: columns as ``attributes`` (validate.attributes).
_NO_ATTRIBUTES = ("attributes",)


def _node_table(
    label: str,
    frame: pd.DataFrame,
    renamed: dict[str, str] | None = None,
    without: tuple[str, ...] = (),
) -> tuple[str, pa.Table]:
    """``label``'s nodes from ``frame``, the model's columns (``renamed``: property -> column)."""
    renamed = renamed or {}
    columns = [name for name in model.node(label).columns if name not in without]
    return label, _table(frame, {renamed.get(name, name): name for name in columns})


def _rel_table(
    rel_type: str,
    frame: pd.DataFrame,
    ends: tuple[str, str],
    renamed: dict[str, str] | None = None,
    without: tuple[str, ...] = (),
) -> tuple[str, pa.Table]:
    """``rel_type``'s relationships from ``frame``: ``ends`` are the frame's from and to columns,
    the properties the model's (``renamed``: property -> frame column; ``without`` left out)."""
    renamed = renamed or {}
    columns = {ends[0]: "from", ends[1]: "to"}
    for name in model.relationship(rel_type).properties:
        if name not in without:
            columns[renamed.get(name, name)] = name
    return rel_type, _table(frame, columns)


def graph_tables(
    checked: dict[str, pd.DataFrame],
    folded: pd.DataFrame,
    people: People,
    store: GraphStore,
    when: dt.datetime | None = None,
) -> tuple[list[tuple[str, pa.Table]], list[tuple[str, pa.Table]]]:
    """The (label, table) node and (type, table) relationship tables a batch writes."""
    nodes: list[tuple[str, pa.Table]] = []
    rels: list[tuple[str, pa.Table]] = []
    now = pd.Timestamp(when or utc_now())

    for name, label in (("departments", "Department"), ("products", "Product")):
        if name in checked:
            nodes.append(_node_table(label, checked[name], without=_NO_ATTRIBUTES))
    if "accounts" in checked:
        frame = checked["accounts"]
        nodes.append(_node_table("Account", frame, without=_NO_ATTRIBUTES))
        managed = frame.dropna(subset=["department_id"])
        rels.append(_rel_table("MANAGED_BY", managed, ("account_id", "department_id")))
    if "journeys" in checked:
        nodes.append(_node_table("Journey", checked["journeys"], without=_NO_ATTRIBUTES))
    if "journey_steps" in checked:
        steps = checked["journey_steps"]
        nodes.append(_node_table("JourneyStep", steps, without=_NO_ATTRIBUTES))
        rels.append(_rel_table("HAS_STEP", steps, ("journey_id", "step_id")))
        chain = steps.dropna(subset=["__next"])
        rels.append(_rel_table("NEXT", chain, ("step_id", "__next")))
        owners = steps.assign(__owner=steps["owner_department_ids"].str.split(";")).explode(
            "__owner"
        )
        owners["__owner"] = owners["__owner"].str.strip()
        owners = owners[owners["__owner"].notna() & (owners["__owner"] != "")]
        rels.append(_rel_table("OWNED_BY", owners, ("step_id", "__owner")))
    if "campaigns" in checked:
        frame = checked["campaigns"]
        nodes.append(_node_table("Campaign", frame, without=_NO_ATTRIBUTES))
        run_by = frame.dropna(subset=["department_id"])
        rels.append(_rel_table("RUN_BY", run_by, ("campaign_id", "department_id")))

    customers = checked["customers"]
    nodes.append(("Customer", _customer_table(folded, people, store)))
    # by Arrow: pandas' isin of the set of stored records took 7 s at 1M customers
    stored = np.array(list(people.existing_records), dtype=object)
    is_new = ~arrays.isin(customers["record_key"].to_numpy(dtype=object), stored)
    record = {"source_id": "customer_id", "email": "email_norm", "phone": "phone_norm"}
    nodes.append(_node_table("SourceRecord", customers[~is_new], record, ("loaded_at",)))
    nodes.append(_node_table("SourceRecord", customers[is_new].assign(loaded_at=now), record))
    ends = ("__customer", "record_key")
    link = {"rule": "__rule", "via": "__via"}
    rels.append(_rel_table("IDENTIFIED_BY", customers[~is_new], ends, link, ("at", "probability")))
    rels.append(
        _rel_table("IDENTIFIED_BY", customers[is_new].assign(at=now), ends, link, ("probability",))
    )

    if "holdings" in checked:
        rels.append(
            _rel_table(
                "HOLDS",
                checked["holdings"],
                ("__customer", "account_id"),
                {"record_key": "__record"},
            )
        )
    if "relationships" in checked:
        records = {"from_record": "__from_record", "to_record": "__to_record"}
        rels.append(_rel_table("RELATED", checked["relationships"], ("__from", "__to"), records))
    if "campaign_members" in checked:
        members = checked["campaign_members"]
        ends = ("campaign_id", "__customer")
        rels.append(_rel_table("TARGETS", members, ends, {"record_key": "__record"}))
    if "consents" in checked:
        frame = consent.loaded_statements(checked["consents"], store, now)
        nodes.append(_node_table("Consent", frame))
        rels.append(_rel_table("CONSENTED", frame, ("__customer", "consent_id")))
    if "touchpoints" in checked:
        frame = checked["touchpoints"]
        nodes.append(_node_table("Touchpoint", frame))
        rels.append(_rel_table("HAD", frame, ("__customer", "touchpoint_id")))
        for column, rel_type in (
            ("campaign_id", "FROM_CAMPAIGN"),
            ("step_id", "AT_STEP"),
            ("department_id", "HANDLED_BY"),
            ("product_id", "FOR_PRODUCT"),
        ):
            linked = frame[["touchpoint_id", column]].dropna(subset=[column])
            rels.append(_rel_table(rel_type, linked, ("touchpoint_id", column)))
    return nodes, rels


def _customer_table(folded: pd.DataFrame, people: People, store: GraphStore) -> pa.Table:
    """The new and changed customers, each empty field falling back to what the customer
    already holds in the store."""
    combined = folded.set_index("customer_id")
    touched = [c for c in combined.index if c not in people.resolution.new_customers]
    if touched:
        stored = store.get_nodes("Customer", pa.array(touched, pa.string())).to_pandas()
        stored = stored.set_index("customer_id")[combined.columns.intersection(stored.columns)]
        stored = stored.drop(columns=["row_hash"], errors="ignore")
        combined = combined.combine_first(stored.reindex(combined.index))[combined.columns]
    combined = combined.reset_index()
    return _table(combined, _same(*model.CUSTOMER_FOLD))
