"""Touchpoints streaming in: many events, one group-committed transaction, a reason per event.

``apply_events`` records a batch of events (each a touchpoints.csv row, optionally with the
customers.csv row of its person under ``"customer"``) through the bulk loader's own pipeline,
``graph360.ingest.load.prepare_batch`` with ``neighbourhood=True``, exactly as
``graph360.ingest.realtime.record_touchpoint`` does for one: the same typing, reference checks,
identity resolution and node and relationship tables. What it adds for a stream:

- **A reason per event.** An event whose touchpoint or customer record breaks a rule is left
  out whole (its reasons, worded as the loader's rejects, in its outcome) and the batch is
  prepared again without it, so the good events of the batch land and a rejected event writes
  nothing, not even its customer record.
- **Consent and suppression.** An event may carry consent statements (``"consent"``: a list
  of {purpose, status, channel, at}), recorded for its customer once the group commits
  (graph360.consent); an event naming an erased person is ``suppressed`` (graph360.suppression).
- **Idempotence by touchpoint_id.** An event whose touchpoint is already in the graph, or that
  repeats an earlier event of the same batch, is a ``duplicate``: recorded once, first wins.
- **One transaction for the group** (``_commit_group``, ``_commit_lean``). A touchpoint not
  yet in the graph has no relationships, so it and its relationships are created in one
  statement matched by primary key (``lean.create_touchpoints``: one LOAD FROM for the group,
  ~0.2 ms a touchpoint at 1M/10M), never through ``write_batch``'s bulk ``COPY`` into a
  relationship table, which costs 20 s for 1,000 at 10M touchpoints (docs/DECISIONS.md).
- **A lean path** (``graph360.ingest.lean``): a group of touchpoints of known customers with no
  customer records is checked and resolved without the bundle's frames (~60 ms less for one
  event at 1M customers); whatever it is not sure of goes through ``prepare_batch`` as above,
  so the answers are the loader's either way (tests/test_lean_events.py).

``EventWriter`` (graph360.ingest.writer) is the one thread that writes to the store: requests
queue in a bounded queue (``Backpressure`` when full, so an overloaded server refuses at once
instead of queueing until callers time out), and every request waiting when the thread comes
round is applied in one group: concurrent callers share one transaction and one commit. Other
writes (a flag, an owner) run on the same thread, in order, as plain calls (``call``):
LadybugDB allows one write transaction at a time, and two threads writing crashed the process.

Routing (the ``router`` passed in, graph360.ingest.realtime.Router) is not run inside the
group: at 1M customers it costs 1.1 s for one customer and 9 s for 1,000 (measured). The
customers whose new touchpoints carry something a rule reads (a rating, sentiment, outcome or
resolution) are queued and routed by the same thread in their own transaction when no events
are waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from graph360 import facts, merges
from graph360.ingest import changes, identifiers, identity
from graph360.ingest.bundle import LINE
from graph360.ingest.lean import (
    REFERENCES,
    TOUCHPOINT_ROW,
    LeanGroup,
    create_touchpoints,
    prepare_lean,
    stored_touchpoints,
    write_lean,
)
from graph360.ingest.load import Batch, prepare_batch
from graph360.ingest.realtime import _missing, _raw_file, _shape_problems
from graph360.model import COMPLAINT_KINDS
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = [
    "EventOutcome",
    "apply_events",
    "needs_routing",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Relationship types whose rows start at a touchpoint of the batch (or end at one: HAD).
TOUCHPOINT_RELATIONSHIPS = frozenset(
    {"HAD", "FROM_CAMPAIGN", "AT_STEP", "HANDLED_BY", "FOR_PRODUCT"}
)
#: The touchpoint columns the routing rules read: an event with one of them routes its customer,
#: as does a complaint (``COMPLAINT_KINDS``: one with no outcome is an unresolved complaint).
ROUTED_COLUMNS = ("rating", "sentiment", "outcome", "resolution")


@dataclass
class EventOutcome:
    """What became of one event: ``recorded``, ``duplicate`` (its touchpoint_id was recorded
    before, or earlier in the batch), ``rejected`` (``reasons`` say why; nothing of it was
    written) or ``suppressed`` (it names an erased person: ``graph360.suppression``).
    ``index`` is the event's place in its batch, from 0."""

    index: int
    touchpoint_id: str | None
    status: str
    customer_id: str | None = None
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def apply_events(
    store: GraphStore,
    events: list[Mapping[str, Any]],
    *,
    max_shared: int = identity.DEFAULT_MAX_SHARED,
    default_region: str = identity.DEFAULT_REGION,
    now: dt.datetime | None = None,
    lean: bool = True,
) -> tuple[list[EventOutcome], set[str]]:
    """Validate, resolve and write ``events`` in one transaction; an outcome per event, and
    the customers that routing should look at (their new touchpoints carry a rating, ...).

    Each event is a mapping of touchpoints.csv columns, as ``record_touchpoint`` takes them,
    with its person's customers.csv row (optional) under ``"customer"``. A StoreError from the
    store rolls the whole group back and is raised. A group of touchpoints with no customer
    records is tried on the lean path first (``graph360.ingest.lean``; ``lean=False`` goes
    straight to the loader's ``prepare_batch``, which gives the same graph and outcomes).
    """
    now = now or utc_now()
    outcomes: list[EventOutcome] = []
    pending: dict[int, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    seen: set[str] = set()
    statements: dict[int, list[dict[str, Any]]] = {}  # an event's consent statements
    for index, event in enumerate(events):
        said = event.get("consent") if isinstance(event, Mapping) else None
        if said is not None:
            event = {k: v for k, v in event.items() if k != "consent"}
        touchpoint, customer, problems = _split(event)
        statements[index], more = _consent_statements(said)
        problems += more
        tid = touchpoint.get("touchpoint_id")
        tid = None if _missing(tid) else str(tid).strip()
        outcome = EventOutcome(index, tid, "recorded")
        outcomes.append(outcome)
        if problems:
            outcome.status, outcome.reasons = "rejected", problems
        elif tid is not None and tid in seen:
            outcome.status = "duplicate"
        else:
            if tid is not None:
                seen.add(tid)
            pending[index] = (touchpoint, customer)
    known = _stored_touchpoints(store, [o.touchpoint_id for o in outcomes if o.index in pending])
    for index in list(pending):
        if outcomes[index].touchpoint_id in known:
            outcomes[index].status = "duplicate"
            del pending[index]
    if lean and pending and all(customer is None for _, customer in pending.values()):
        lean = prepare_lean(store, [pending[i][0] for i in pending], max_shared=max_shared)
        if lean is not None:
            for index, customer_id in zip(pending, lean.customers, strict=True):
                outcomes[index].customer_id = customer_id
            _commit_lean(store, lean)
            _record_consents(store, outcomes, statements, pending)
            routed = {
                customer_id
                for (touchpoint, _), customer_id in zip(
                    pending.values(), lean.customers, strict=True
                )
                if needs_routing(touchpoint)
            }
            return outcomes, routed
    batch = None
    while pending:
        batch, rejected = _prepare(store, pending, max_shared, default_region, now)
        if not rejected:
            break
        for index, reasons in rejected.items():
            outcomes[index].status, outcomes[index].reasons = "rejected", reasons
            del pending[index]
        batch = None
    if batch is None:
        return outcomes, set()
    for line in batch.suppressed.get("touchpoints", []):  # graph360.suppression
        outcomes[int(line) - 1].status = "suppressed"
        outcomes[int(line) - 1].reasons = ["names an erased person (on the suppression list)"]
    frame = batch.checked["touchpoints"]
    for index, customer_id in zip(frame[LINE] - 1, frame["__customer"], strict=True):
        outcomes[int(index)].customer_id = str(customer_id)
    rated = frame[[c for c in ROUTED_COLUMNS if c in frame]].notna().any(axis=1)
    complaint = frame["kind"].isin(COMPLAINT_KINDS)  # as the rules match it: exactly
    routed = frame[rated | complaint]
    _commit_group(store, batch)
    _record_consents(store, outcomes, statements, pending)
    return outcomes, set(routed["__customer"].astype(str))


def _consent_statements(given: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """An event's ``"consent"``: a list of {purpose, status, channel?, at?} (a statement the
    person made with the touchpoint: an unsubscribe, "don't call me" on a call), checked."""
    from graph360.consent import ConsentError, check

    if given is None:
        return [], []
    if not isinstance(given, list) or not all(isinstance(g, Mapping) for g in given):
        return [], ["consent must be a list of objects with purpose and status"]
    out, problems = [], []
    for item in given:
        try:
            channel = check(str(item.get("purpose")), str(item.get("status")), item.get("channel"))
            at = dt.datetime.fromisoformat(str(item["at"])) if item.get("at") else None
        except (ConsentError, ValueError) as error:
            problems.append(f"consent: {error}")
            continue
        if at is not None and at.tzinfo is not None:
            at = at.astimezone(dt.UTC).replace(tzinfo=None)
        out.append({**item, "channel": channel, "at": at})
    return out, problems


def _record_consents(
    store: GraphStore,
    outcomes: list[EventOutcome],
    statements: dict[int, list[dict[str, Any]]],
    pending: Mapping[int, tuple[dict[str, Any], dict[str, Any] | None]],
) -> None:
    """Record the consent statements of the events just recorded (graph360.consent: the
    statement each replaces kept in its history), in one transaction; a statement without a
    time takes its touchpoint's, its source the touchpoint's (``event`` when none)."""
    from graph360.consent import record

    chosen = [
        (outcomes[i], pending[i][0], s)
        for i in pending
        if outcomes[i].status == "recorded" and outcomes[i].customer_id
        for s in statements.get(i, [])
    ]
    if not chosen:
        return
    with store.atomic():
        for outcome, touchpoint, statement in chosen:
            at = statement["at"] or _when(touchpoint.get("at"))
            by_id = touchpoint.get("source") and not _missing(touchpoint.get("customer_id"))
            email = touchpoint.get("email")
            reference = (
                str(touchpoint["customer_id"])
                if by_id
                else str(email).strip().lower()
                if not _missing(email)
                else None
            )
            record(
                store,
                str(outcome.customer_id),
                str(statement["purpose"]),
                str(statement["status"]),
                channel=statement["channel"],
                source=str(touchpoint.get("source") or "event"),
                at=at,
                reference=reference,
            )


def _when(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def needs_routing(touchpoint: Mapping[str, Any]) -> bool:
    """Whether a touchpoint carries something a routing rule reads (``ROUTED_COLUMNS``, or a
    complaint's kind): one that does not cannot raise a flag or an action, so its write need
    not wait for the rules (1.1 s at 1M customers)."""
    if touchpoint.get("kind") in COMPLAINT_KINDS:
        return True
    return any(not _missing(touchpoint.get(column)) for column in ROUTED_COLUMNS)


def _commit_group(store: GraphStore, batch: Batch) -> None:
    """Write one group's batch in one transaction and commit it: one place a group of events
    becomes durable (``_commit_lean`` is the other)."""
    with store.atomic():
        write_events_batch(store, batch)


def _commit_lean(store: GraphStore, lean: LeanGroup) -> None:
    """Write a group the lean path accepted in one transaction: what ``write_events_batch``
    writes for touchpoints of known customers (no records, so no customer, merge or
    identifier index changes)."""
    with store.atomic():
        write_lean(store, lean)


def write_events_batch(store: GraphStore, batch: Batch) -> None:
    """``load.write_batch`` for a batch of events whose touchpoints are all new (call inside
    ``store.atomic()``): the same steps (the last load's mark forgotten, nodes upserted with
    their row hashes, the relationships a changed customer record implied deleted first, the
    identifier index updated), the touchpoints and their own relationships created in one
    statement (``create_touchpoints``)."""
    store.write("forget_last_load")  # the graph no longer is what the last load left
    facts.bump_version(store)  # nor what the analytics' projection holds
    for label, rows in batch.nodes:
        if label != "Touchpoint":
            store.upsert_nodes(label, rows)
    splits = merges.apply_moves(store, batch.people.resolution, who="events")
    store.merge_nodes("Customer", batch.people.resolution.merged_customers)
    merges.log_identified(store, batch.people.resolution, who="events")
    plan = changes.replace_owned(store, batch.changes, batch.relationships)
    create_touchpoints(store, _touchpoint_rows(batch))
    for rel_type, rows, new in plan:
        if rel_type not in TOUCHPOINT_RELATIONSHIPS:
            store.upsert_relationships(rel_type, rows, new=new)
    records = [rows for label, rows in batch.nodes if label == "SourceRecord"]
    identifiers.write_index(store, batch, records)
    merges.refold(store, merges.touched(splits), batch.people.resolution.blocked)


def _touchpoint_rows(batch: Batch) -> pa.Table:
    """The batch's new touchpoints as rows of ``events_create_touchpoints``: the Touchpoint
    node table (row hashes stamped) with each one's customer and the keys of its ends."""
    nodes = [rows for label, rows in batch.nodes if label == "Touchpoint"]
    if not nodes:
        return TOUCHPOINT_ROW.empty_table()
    table = pa.concat_tables(nodes)
    frame = batch.checked["touchpoints"].set_index("touchpoint_id")
    order = table.column("touchpoint_id").to_pylist()
    ends = {"customer_id": frame["__customer"]} | {name: frame[name] for name, _ in REFERENCES}
    columns = {}
    for spec in TOUCHPOINT_ROW:
        if spec.name in ends:
            values = ends[spec.name].reindex(order).astype(object)
            columns[spec.name] = pa.array(values.where(values.notna(), None).tolist(), spec.type)
        else:
            columns[spec.name] = table.column(spec.name).cast(spec.type)
    return pa.table(columns, schema=TOUCHPOINT_ROW)


def _split(event: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None, list[str]]:
    """The touchpoint row, the customer row (or None) and any problem of shape."""
    if not isinstance(event, Mapping):
        return {}, None, [f"an event must be a JSON object, not {type(event).__name__}"]
    touchpoint = {k: v for k, v in event.items() if k != "customer"}
    customer = event.get("customer")
    problems: list[str] = []
    if customer is not None and not isinstance(customer, Mapping):
        problems.append("customer must be an object (a customers.csv row)")
        customer = None
    customer = dict(customer) if customer else None
    if customer and all(
        _missing(touchpoint.get(column)) for column in ("source", "customer_id", "email")
    ):
        touchpoint["source"] = customer.get("source")
        touchpoint["customer_id"] = customer.get("customer_id")
    problems += _shape_problems(touchpoint)
    problems += [f"customer: {p}" for p in _shape_problems(customer or {})]
    return touchpoint, customer, problems


def _stored_touchpoints(store: GraphStore, ids: list[str | None]) -> set[str]:
    return stored_touchpoints(store, [i for i in ids if i is not None])


def _prepare(
    store: GraphStore,
    pending: dict[int, tuple[dict[str, Any], dict[str, Any] | None]],
    max_shared: int,
    default_region: str,
    now: dt.datetime,
) -> tuple[Batch, dict[int, list[str]]]:
    """The batch of the pending events, and the reasons of each event it rejected."""
    order = list(pending)
    touchpoints = _raw_file("touchpoints", [pending[i][0] for i in order])
    touchpoints.frame[LINE] = np.array(order) + 1  # a reject's line is its event's index + 1
    with_customer = [i for i in order if pending[i][1] is not None]
    customers = _raw_file("customers", [pending[i][1] for i in with_customer])  # type: ignore[misc]
    customers.frame[LINE] = np.array(with_customer, dtype=np.int64) + 1
    raw = {"touchpoints": touchpoints, "customers": customers}
    batch = prepare_batch(
        store,
        raw,
        max_shared=max_shared,
        default_region=default_region,
        neighbourhood=True,
        now=now,
    )
    rejected: dict[int, list[str]] = {}
    for reject in batch.rejects:
        prefix = "customer: " if reject.file == "customers" else ""
        reasons = rejected.setdefault(reject.line - 1, [])
        reasons += [prefix + reason for reason in reject.reason.split("; ")]
    return batch, rejected


def outcome_counts(outcomes: Iterable[EventOutcome]) -> dict[str, int]:
    """How many events were recorded, duplicates, rejected and suppressed."""
    counts = {"recorded": 0, "duplicate": 0, "rejected": 0, "suppressed": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts
