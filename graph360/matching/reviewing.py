"""The review queue of likely but unsure pairs, its decisions, and the identity graph."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pyarrow as pa

from graph360 import facts, merges
from graph360 import model as graph_model
from graph360.errors import InvalidRequestError, NotFoundError
from graph360.matching.merging import RULE
from graph360.periods import utc_now
from graph360.store.base import GraphStore, plain


def pair_id(record_a: str, record_b: str) -> str:
    """The review queue's key of a record pair (order-free)."""
    low, high = sorted((record_a, record_b))
    return f"{low}|{high}"


def enqueue(store: GraphStore, pairs: pd.DataFrame, now: dt.datetime) -> int:
    """Put the pairs in the review queue, except pairs already there (open, or decided: a
    rejected pair is never proposed again). Returns how many were added."""
    if pairs.empty:
        return 0
    ids = [pair_id(a, b) for a, b in zip(pairs["record_a"], pairs["record_b"], strict=True)]
    pairs = pairs.assign(pair_id=ids).drop_duplicates("pair_id")
    known = set(
        store.existing_keys("ReviewPair", pa.array(pairs["pair_id"], pa.string())).to_pylist()
    )
    pairs = pairs[~pairs["pair_id"].isin(known)]
    if pairs.empty:
        return 0
    node = graph_model.node("ReviewPair")
    rows = pd.DataFrame(
        {
            "pair_id": pairs["pair_id"],
            "record_a": pairs["record_a"],
            "record_b": pairs["record_b"],
            "probability": pairs["probability"].astype(float),
            "evidence": pairs["evidence"],
            "status": "open",
            "created_at": pd.Timestamp(now),
            "decided_at": pd.NaT,
            "decided_by": None,
        }
    )
    store.upsert_nodes(
        "ReviewPair", pa.Table.from_pandas(rows, schema=node.arrow_schema(), preserve_index=False)
    )
    sides = pd.concat(
        [
            pd.DataFrame({"from": pairs["pair_id"], "to": pairs["record_a"], "side": "a"}),
            pd.DataFrame({"from": pairs["pair_id"], "to": pairs["record_b"], "side": "b"}),
        ],
        ignore_index=True,
    )
    schema = graph_model.relationship("PROPOSES").arrow_schema()
    store.upsert_relationships(
        "PROPOSES", pa.Table.from_pandas(sides, schema=schema, preserve_index=False), new=True
    )
    return len(pairs)


def review_queue(
    store: GraphStore, *, status: str = "open", first: int = 50, skip: int = 0
) -> list[dict[str, Any]]:
    """The queue's pairs with the given status, the most probable first."""
    if status not in REVIEW_STATUSES:
        raise InvalidRequestError(
            f"status must be one of {', '.join(REVIEW_STATUSES)}, got {status!r}"
        )
    if first < 1 or skip < 0:
        raise InvalidRequestError("first must be at least 1 and skip at least 0")
    rows = store.query("review_queue", status=status, skip=skip, limit=first)
    for row in rows:
        row["evidence"] = json.loads(row["evidence"]) if row["evidence"] else {}
        for key in ("created_at", "decided_at", "birth_date_a", "birth_date_b"):
            row[key] = plain(row[key])
    return rows


REVIEW_STATUSES = ("open", "accepted", "rejected")


def decide(store: GraphStore, pair: str, *, accept: bool, who: str) -> dict[str, Any]:
    """Accept (merge the two customers, logged with the pair's evidence) or reject (a
    never-merge rule between the two records: the pair is never proposed again, and loads keep
    them apart too) an open pair.

    Returns the pair as decided, with ``customer_id``: the customer kept (accept)."""
    rows = store.query("review_pair", pair_id=pair)
    if not rows:
        raise NotFoundError(f"no pair {pair!r} in the review queue")
    row = rows[0]
    if row["status"] != "open":
        raise InvalidRequestError(f"pair {pair!r} was already {row['status']}")
    now = utc_now()
    status = "accepted" if accept else "rejected"
    with store.atomic():
        store.write("forget_last_load")
        facts.bump_version(store)
        kept = None
        if accept and row["customer_a"] != row["customer_b"]:
            kept = min(row["customer_a"], row["customer_b"])
            a_kept = kept == row["customer_a"]
            record, via = (
                (row["record_b"], row["record_a"])
                if a_kept
                else (
                    row["record_a"],
                    row["record_b"],
                )
            )
            merges.merge_customers(  # a never-merge rule refuses it here, as one line
                store,
                kept,
                row["customer_b"] if a_kept else row["customer_a"],
                rule=RULE,
                evidence={
                    "record": record,
                    "via": via,
                    "probability": row["probability"],
                    "weights": json.loads(row["evidence"] or "{}"),
                    "reviewed": True,
                },
                who=who,
            )
            link = {"record_key": record, "via": via, "probability": row["probability"]}
            store.write("match_link_records", links=[link], rule=RULE, at=now)
        elif accept:
            kept = row["customer_a"]
        else:  # not one person: loads and matches keep them apart from now on
            merges.never_merge(store, [row["record_a"]], [row["record_b"]], who=who)
        store.write("review_decide", pair_id=pair, status=status, at=now, who=who)
    return {**row, "status": status, "customer_id": kept, "decided_by": who, "decided_at": now}


def identities(store: GraphStore) -> pd.DataFrame:
    """The identity graph: record_key, customer_id, rule, via, probability per source record."""
    frame = store.frame("identity_graph")
    return frame.reindex(columns=["record_key", "customer_id", "rule", "via", "probability"])
