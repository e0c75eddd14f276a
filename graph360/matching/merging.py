"""Merging the customers that sure pairs join, through the merge log, one by one or in bulk."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graph360 import merges
from graph360 import model as graph_model
from graph360.periods import utc_now
from graph360.store.base import GraphStore

log = logging.getLogger(__name__)

#: The rule a probabilistic link carries (IDENTIFIED_BY.rule, the merge log).
RULE = "probabilistic"
#: From this many merges in one run on, they are written in batches (``_merge_in_bulk``).
BULK_MERGES = 500


def merge_groups(frame: pd.DataFrame) -> list[list[str]]:
    """The customers each set of automatic pairs joins: connected components, each sorted (its
    first, the smallest id, survives, as for a deterministic bridge)."""
    if frame.empty:
        return []
    customers = pd.Index(pd.unique(np.concatenate([frame["customer_a"], frame["customer_b"]])))
    a = customers.get_indexer(frame["customer_a"])
    b = customers.get_indexer(frame["customer_b"])
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(customers), len(customers)))
    _, labels = connected_components(graph, directed=False)
    groups = pd.Series(customers).groupby(labels).agg(lambda ids: sorted(ids))
    return sorted((ids for ids in groups if len(ids) > 1), key=lambda ids: ids[0])


def merge_pairs(store: GraphStore, pairs: pd.DataFrame, *, who: str) -> int:
    """Merge the customers the pairs join (each group into its smallest id) through the merge
    log (graph360.merges: rule ``probabilistic``, the pair's records, probability and each
    field's match weight as evidence), and mark each folded customer's matched record with the
    pair's probability. Returns how many customers were folded in.

    Each merge goes in once its partner record already belongs to the survivor (a group of
    three joins one by one). A never-merge rule that only the group as a whole meets (A-B and
    B-C allowed, A-C not) refuses that one merge, which is then left out.
    """
    groups = merge_groups(pairs)
    if not groups:
        return 0
    survivors = {other: ids[0] for ids in groups for other in ids[1:]}
    if len(survivors) >= BULK_MERGES:
        return _merge_in_bulk(store, pairs, survivors, who=who)
    # every pair a folded customer has into its group, the most probable first
    edges: dict[str, list[dict[str, Any]]] = {}
    for end in _ends_by_probability(pairs):
        if end.customer in survivors:
            edges.setdefault(end.customer, []).append(
                {**end.link(), "via_customer": end.partner_customer}
            )
    now_in: dict[str, str] = {}  # a folded customer -> the survivor it is part of now
    links: list[dict[str, Any]] = []
    pending = sorted(survivors)
    while pending:
        left = []
        for customer in pending:
            survivor = survivors[customer]
            edge = next(
                (
                    e
                    for e in edges.get(customer, [])
                    if now_in.get(e["via_customer"], e["via_customer"]) == survivor
                ),
                None,
            )
            if edge is None:
                left.append(customer)
                continue
            try:
                merges.merge_customers(
                    store,
                    survivor,
                    customer,
                    rule=RULE,
                    evidence={
                        "record": edge["record"],
                        "via": edge["via"],
                        "probability": edge["probability"],
                        "weights": edge["weights"],
                    },
                    who=who,
                )
            except merges.NeverMergeError as error:
                log.info("not merged: %s", error)
                now_in[customer] = customer
                continue
            now_in[customer] = survivor
            links.append(
                {
                    "record_key": edge["record"],
                    "via": edge["via"],
                    "probability": edge["probability"],
                }
            )
        if len(left) == len(pending):  # the rest could only join through a refused merge
            break
        pending = left
    if links:
        store.write("match_link_records", links=links, rule=RULE, at=utc_now())
    return len(links)


def spanning_links(pairs: pd.DataFrame, survivors: dict[str, str]) -> dict[str, dict[str, Any]]:
    """For each folded customer, the pair that links it into its group: a tree grown from the
    survivor, the most probable pairs first, so every link's partner record is already in the
    group (two folded customers linked only to each other would come apart at the next load,
    which resolves a customer again from its links)."""
    reached = set(survivors.values())
    chosen: dict[str, dict[str, Any]] = {}
    ends = list(_ends_by_probability(pairs))
    grew = True
    while grew:
        grew = False
        for end in ends:
            if (
                end.customer in survivors
                and end.customer not in chosen
                and end.partner_customer in reached
            ):
                chosen[end.customer] = end.link()
                reached.add(end.customer)
                grew = True
    return chosen


class _End(NamedTuple):
    """One end of a scored pair: its record and customer, and the other end's."""

    record: str
    customer: str
    partner: str
    partner_customer: str
    probability: float
    evidence: str

    def link(self) -> dict[str, Any]:
        """The link this end's record would get through its partner, with the evidence."""
        return {
            "record": self.record,
            "via": self.partner,
            "probability": float(self.probability),
            "weights": json.loads(self.evidence),
        }


def _ends_by_probability(pairs: pd.DataFrame) -> Iterator[_End]:
    """Both ends of every pair, the most probable pairs first (ties by record keys)."""
    ordered = pairs.sort_values(
        ["probability", "record_a", "record_b"], ascending=[False, True, True]
    )
    for row in ordered.itertuples(index=False):
        yield _End(
            row.record_b,
            row.customer_b,
            row.record_a,
            row.customer_a,
            row.probability,
            row.evidence,
        )
        yield _End(
            row.record_a,
            row.customer_a,
            row.record_b,
            row.customer_b,
            row.probability,
            row.evidence,
        )


def _merge_in_bulk(
    store: GraphStore, pairs: pd.DataFrame, survivors: dict[str, str], *, who: str
) -> int:
    """The merges of a big run (the first match of a million records folds tens of thousands
    of customers) as a few batched writes: ``merge_customers`` one at a time costs about twenty
    statements a merge. The same outcome: the customers folded (``merge_nodes``, one batch per
    relationship type), each folded customer's matched record linked ``probabilistic`` through
    its partner, one merge-log entry per folded customer with the pair's evidence. What it does
    not do is fold each survivor's fields from its records again (survivorship): the survivor
    keeps its own, and the next load, which compares the customer as changed, folds them."""
    chosen = spanning_links(pairs, survivors)
    folded = store.frame("match_records_of_customers", customer_ids=sorted(survivors))
    records_of = (
        folded.groupby("customer_id")["record_key"].agg(sorted).to_dict() if len(folded) else {}
    )
    store.merge_nodes("Customer", survivors)
    links = [
        {"record_key": e["record"], "via": e["via"], "probability": e["probability"]}
        for e in chosen.values()
    ]
    now = utc_now()
    store.write("match_link_records", links=links, rule=RULE, at=now)
    stamp = f"{now:%Y%m%dT%H%M%S%f}"
    entries = pd.DataFrame(
        {
            "entry_id": [f"{stamp}-m{i:07d}" for i in range(len(chosen))],
            "kind": "merge",
            "at": pd.Timestamp(now),
            "who": who,
            "rule": RULE,
            "evidence": [json.dumps(e, sort_keys=True) for e in chosen.values()],
            "customer_id": [survivors[c] for c in chosen],
            "other_id": list(chosen),
            "records": [json.dumps(records_of.get(c, [chosen[c]["record"]])) for c in chosen],
        }
    )
    schema = graph_model.node("MergeLog").arrow_schema()
    store.upsert_nodes(
        "MergeLog", pa.Table.from_pandas(entries, schema=schema, preserve_index=False)
    )
    return len(links)
