"""The lean path for live events: touchpoints of known customers, without the bundle's frames.

``graph360.ingest.events.apply_events`` sends every group through the loader's own
``prepare_batch``: right for anything a bundle row can be, but about 60 ms of pandas frames
and checks for every bundle file even for one row at 1M customers (docs/DECISIONS.md, "Live
events"), most of a single event's time. Most events are simpler than a bundle: a touchpoint
of someone the graph knows, naming them by ``source`` + ``customer_id`` or by e-mail, with no
customer record. For a group made only of such events, :func:`prepare_lean` decides the same
thing as the loader with a few lookups by key and plain Python per row, reusing the loader's
own parsers (``validate.parse_dates``, ``parse_numbers``, ``identity.normalize_emails``) and
row hash (``changes.content_hashes`` over the same content columns as ``changes.ANCHORS``).

It only ever *accepts*: a group it is not sure of comes back as None and goes through the full
path, which then gives the loader's answer, reasons and all. It is not sure when an event
carries a customer record, breaks any rule (a missing or unparseable value, an unknown
campaign, step, department or product, a rating off its scale, a sentiment out of range, a
customer reference that resolves to nobody), or names a customer by an e-mail that is a
blocked placeholder or whose carriers are not all one customer (a merge the loader would make).
For the groups it accepts, the full path would resolve every reference to the stored customer
of its record (or of the e-mail's carriers, all one customer): the neighbourhood of such a
group links no two customers (``people.neighbourhood``: without new records there are no phones
in it, and every e-mail's carriers are one customer). Tests (``tests/test_lean_events.py``,
hypothesis among them) write the same events both ways and compare the graphs and outcomes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from graph360 import facts, model
from graph360.errors import StoreError
from graph360.ingest import changes, identifiers, identity, validate
from graph360.ingest import sentiment as scoring
from graph360.ingest.bundle import DATE, FILES, INTEGER, NUMBER
from graph360.store.base import GraphStore

__all__ = [
    "REFERENCES",
    "TOUCHPOINT_ROW",
    "LeanGroup",
    "create_touchpoints",
    "missing",
    "prepare_lean",
    "stored_touchpoints",
    "text",
    "write_lean",
]

_SPEC = FILES["touchpoints"]
#: Up to this many touchpoints a group creates them one statement each
#: (``events_create_touchpoint``, ~2 ms each at 1M/10M) instead of one LOAD FROM
#: (``events_create_touchpoints``: ~8 ms before its first row, then ~0.2 ms a row).
ONE_BY_ONE = 4
#: Up to this many events a group's keys are probed one event at a time (``events_known_keys``,
#: ~0.6 ms an event at 1M/10M) instead of a LOAD FROM look-up per label (~1.2 ms each).
PROBE_ROWS = 8
#: Reference columns of a touchpoint and the label each names (the loader's ``known`` checks).
REFERENCES = (
    ("campaign_id", "Campaign"),
    ("step_id", "JourneyStep"),
    ("department_id", "Department"),
    ("product_id", "Product"),
)
#: The columns of a row of ``events_create_touchpoints``, and their Arrow types.
TOUCHPOINT_ROW = pa.schema(
    [
        ("customer_id", pa.string()),  # the touchpoint's customer (resolved)
        *[
            (name, model.node("Touchpoint").arrow_schema().field(name).type)
            for name in model.node("Touchpoint").columns
        ],
        *[(column, pa.string()) for column, _ in REFERENCES],
    ]
)


@dataclass
class LeanGroup:
    """A group the lean path accepted: the rows to create and each event's customer."""

    rows: pa.Table  # TOUCHPOINT_ROW, one row per event, in the events' order
    customers: list[str]


def prepare_lean(
    store: GraphStore,
    touchpoints: list[Mapping[str, Any]],
    *,
    max_shared: int = identity.DEFAULT_MAX_SHARED,
) -> LeanGroup | None:
    """The group of ``touchpoints`` (new ones, distinct ids, no customer records) as the
    loader would write it, or None when the loader could decide otherwise (see the module)."""
    if not touchpoints:
        return None
    texts = [{key: text(value) for key, value in row.items()} for row in touchpoints]
    extra = sorted({key for row in texts for key in row} - set(_SPEC.known))
    columns: dict[str, list[Any]] = {
        name: [row.get(name) for row in texts] for name in (*_SPEC.known, *extra)
    }
    for column in _SPEC.columns:
        if column.required and any(value is None for value in columns[column.name]):
            return None
    typed: dict[str, pd.Series] = {}
    for column in _SPEC.columns:
        if column.kind not in (DATE, NUMBER, INTEGER):
            continue
        given = pd.Series(columns[column.name], dtype=object)
        if column.kind == DATE:
            parsed = validate.parse_dates(given)
            if (given.notna() & parsed.isna()).any():
                return None
        else:
            parsed = validate.parse_numbers(given)
            finite = parsed.fillna(0).map(math.isfinite)
            if (given.notna() & (parsed.isna() | ~finite)).any():
                return None
            if column.kind == INTEGER:
                if (parsed.notna() & (parsed != parsed.round())).any():
                    return None
                parsed = parsed.round().astype("Int64")
        typed[column.name] = parsed
    if not _within_rules(typed):
        return None
    if not _all_known(store, columns):
        return None
    customers = _customers(store, columns, max_shared)
    if customers is None:
        return None
    attributes = [
        json.dumps(values, sort_keys=True) if values else None
        for values in (
            {key: row[key] for key in extra if row.get(key) is not None} for row in texts
        )
    ]
    return LeanGroup(_rows(columns, typed, attributes, customers), [c for c, _ in customers])


def write_lean(store: GraphStore, group: LeanGroup) -> None:
    """Write a group the lean path accepted (call inside ``store.atomic()``): what
    ``load.write_batch`` writes for touchpoints of known customers (the last load's mark
    forgotten, the graph's version bumped, the touchpoints and their relationships created;
    no records, so no customer, merge or identifier index changes)."""
    store.write("forget_last_load")
    facts.bump_version(store)
    create_touchpoints(store, group.rows)


def create_touchpoints(store: GraphStore, rows: pa.Table) -> None:
    """Create new touchpoints with their relationships (``events_create_touchpoints``: one
    LOAD FROM on LadybugDB, 0.2 ms a touchpoint at 1M/10M against 0.7-0.9 ms for a prepared
    ``CREATE`` a relationship; an UNWIND a slice at a time on Neo4j). Raises StoreError when
    a row's customer is missing, so the group rolls back instead of losing a touchpoint."""
    if rows.num_rows == 0:
        return
    if rows.num_rows <= ONE_BY_ONE:
        answers = [
            answer
            for row in rows.to_pylist()
            for answer in store.write("events_create_touchpoint", **row)
        ]
    else:
        answers = store.write_rows("events_create_touchpoints", rows)
    created = sum(answer["created"] for answer in answers)
    if created != rows.num_rows:
        raise StoreError(
            f"{rows.num_rows - created} of {rows.num_rows} touchpoints name a customer the "
            "graph does not hold",
            query="events_create_touchpoints",
        )


def stored_touchpoints(store: GraphStore, ids: list[str]) -> set[str]:
    """Which of these touchpoint ids the graph holds: a probe each for a few
    (``events_known_keys``), one look-up of the list for more."""
    if len(ids) <= PROBE_ROWS:
        return {
            tid
            for tid in ids
            if store.query("events_known_keys", touchpoint_id=tid, **_NO_ENDS)[0]["touchpoint_id"]
        }
    found = store.existing_keys("Touchpoint", pa.array(ids, pa.string()))
    return set(found.to_pylist())


_NO_ENDS = {column: None for column, _ in REFERENCES}


def _all_known(store: GraphStore, columns: dict[str, list[Any]]) -> bool:
    """Whether every campaign, step, department and product the rows name is in the graph
    (the loader's ``validate.known`` checks): a probe a row for a few rows, else one look-up
    of each label's keys."""
    rows = len(columns["touchpoint_id"])
    if rows <= PROBE_ROWS:
        for i in range(rows):
            ends = {column: columns[column][i] for column, _ in REFERENCES}
            if not any(value is not None for value in ends.values()):
                continue
            (found,) = store.query("events_known_keys", touchpoint_id=None, **ends)
            if any(found[column] != value for column, value in ends.items()):
                return False
        return True
    for column, label in REFERENCES:
        wanted = {value for value in columns[column] if value is not None}
        if wanted:
            found = store.existing_keys(label, pa.array(sorted(wanted), pa.string()))
            if set(found.to_pylist()) != wanted:
                return False
    return True


def _within_rules(typed: dict[str, pd.Series]) -> bool:
    """``validate.ratings`` and the sentiment's range, row by row: no row breaks them."""
    for rating, scale, sentiment in zip(
        typed["rating"], typed["rating_scale"], typed["sentiment"], strict=True
    ):
        has_rating, has_scale = not pd.isna(rating), not pd.isna(scale)
        if has_rating and not has_scale:
            return False
        if has_scale and scale not in (5, 10):
            return False
        if has_rating and not (0 if scale == 10 else 1) <= rating <= scale:
            return False
        if not pd.isna(sentiment) and not -1 <= sentiment <= 1:
            return False
    return True


def _customers(
    store: GraphStore, columns: dict[str, list[Any]], max_shared: int
) -> list[tuple[str, str]] | None:
    """Each row's customer and the record its reference named, as
    ``people.People.customer_ids`` finds them over the group's identity neighbourhood; None
    when a row resolves to nobody, or the loader could merge."""
    sources, ids, emails = columns["source"], columns["customer_id"], columns["email"]
    keys = [
        f"{s}:{c}" if s is not None and c is not None else None
        for s, c in zip(sources, ids, strict=True)
    ]
    owner = {}
    for key in sorted({k for k in keys if k is not None}):
        rows = store.query("identity_record", record_key=key)
        if rows and rows[0]["customer_id"] is not None:
            owner[key] = rows[0]["customer_id"]
    if any(email is not None for email in emails):
        normalized, _ = identity.normalize_emails(pd.Series(emails, dtype=object))
    else:  # nothing to normalise (pandas' string kernels cost ~3 ms even for one row)
        normalized = pd.Series(emails, dtype=object)
    by_email: dict[str, tuple[str, str]] = {}
    unsure: set[str] = set()  # blocked, or carried by several customers (the loader merges)
    for email in sorted(set(normalized.dropna())):
        carriers = identifiers.records_carrying(store, {email})
        owners = set(carriers["customer_id"])
        if len(carriers) > max_shared or len(owners) > 1:
            unsure.add(email)
        elif owners:
            by_email[email] = (owners.pop(), min(carriers["record_key"]))
    found: list[tuple[str, str]] = []
    for key, email in zip(keys, normalized, strict=True):
        known = isinstance(email, str)
        if known and email in unsure:
            return None
        customer = (owner[key], key) if key in owner else None
        if customer is None and known:
            customer = by_email.get(email)
        if customer is None:
            return None
        found.append(customer)
    return found


def _rows(
    columns: dict[str, list[Any]],
    typed: dict[str, pd.Series],
    attributes: list[str | None],
    customers: list[tuple[str, str]],
) -> pa.Table:
    """The rows of ``events_create_touchpoints``: the Touchpoint's properties, its row hash over
    ``changes.ANCHORS["touchpoints"].content`` (typed as ``changes._arrow`` types them) and
    the keys of its ends."""
    arrays: dict[str, pa.Array] = {}
    for name in (
        "touchpoint_id",
        "channel",
        "kind",
        "text",
        "outcome",
        "resolution",
        "source",
        "agent_id",
    ):
        arrays[name] = pa.array(columns[name], pa.string())
    arrays["at"] = pa.array(typed["at"].astype("datetime64[us]"), pa.timestamp("us"))
    for name in ("value", "rating", "sentiment"):
        arrays[name] = pa.array(typed[name], pa.float64(), from_pandas=True)
    scored = scoring.annotate(
        pd.DataFrame(
            {
                "kind": columns["kind"],
                "text": columns["text"],
                "sentiment": typed["sentiment"].to_numpy(),
            }
        )
    )
    arrays["sentiment_computed"] = pa.array(
        scored["sentiment_computed"], pa.float64(), from_pandas=True
    )
    arrays["sentiment_model"] = pa.array(scored["sentiment_model"].tolist(), pa.string())
    scale = typed["rating_scale"]
    arrays["rating_scale"] = pa.array(scale.astype("Int64"), pa.int64(), from_pandas=True)
    arrays["attributes"] = pa.array(attributes, pa.string())
    arrays["__customer"] = arrays["customer_id"] = pa.array([c for c, _ in customers], pa.string())
    arrays["record_key"] = pa.array([r for _, r in customers], pa.string())
    for column, _ in REFERENCES:
        arrays[column] = pa.array(columns[column], pa.string())
    anchor = changes.ANCHORS["touchpoints"]
    content = {}
    for name in (*anchor.content, *anchor.late):
        value = arrays[name]
        content[name] = value.cast(pa.float64()) if name == "rating_scale" else value
    hashes = changes.content_hashes(anchor, pa.table(content))
    arrays["row_hash"] = pa.array(hashes, pa.int64())
    return pa.table({field.name: arrays[field.name] for field in TOUCHPOINT_ROW}).cast(
        TOUCHPOINT_ROW
    )


def text(value: Any) -> str | None:
    """A value as the text a CSV file would hold (naive times are UTC, as in a bundle): how
    ``graph360.ingest.realtime`` turns an event into a bundle row, and the lean path reads it."""
    if missing(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    text = str(value).strip()
    return text or None


def missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()
