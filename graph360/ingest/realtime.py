"""Recording one touchpoint as it happens: the bulk loader's rules, one row, routed at once.

``record_touchpoint`` is what the API's ``recordTouchpoint`` mutation calls. The touchpoint (and,
for someone the graph may not know yet, their customer record) is turned into a one-row bundle
and goes through the very pipeline a load does (``graph360.ingest.load.prepare_batch``): the
same typing, the same reference checks by key, the same identity resolution and the same node
and relationship tables. Only two things differ, both for speed, neither for meaning:

- identities are resolved against the batch's identity neighbourhood instead of every stored
  record (``people.neighbourhood`` says why the customers come out the same);
- a row that breaks a rule is not set aside in a reject file: the call raises
  :class:`~graph360.errors.InvalidRecordError` with the loader's reasons and writes nothing.

A new touchpoint of a customer the graph knows, with no customer record, takes the lean path
(``graph360.ingest.lean``): the same rules and resolution without the bundle's frames, or it
steps aside to the pipeline above when it is not sure.

The touchpoint, its customer's record, any merge and the routing of the touchpoint's customer
(the ``router`` the caller passes, :data:`Router`: a poor rating becomes a follow-up action for
the department owning its step, flags raised or resolved) are written in one ``store.atomic()``
block, so a failure anywhere leaves the graph as it was. Every write is an upsert by key, so
recording the same touchpoint twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from graph360.errors import InvalidRecordError
from graph360.ingest import identity
from graph360.ingest.bundle import FILES, LINE, RawFile
from graph360.ingest.lean import LeanGroup, prepare_lean, stored_touchpoints, write_lean
from graph360.ingest.lean import missing as _missing
from graph360.ingest.lean import text as _text
from graph360.ingest.load import Batch, prepare_batch, write_batch
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = ["RecordResult", "Router", "record_touchpoint"]

#: Routes ``customer_ids`` in the open transaction at a time and says what it changed, under
#: RecordResult's names (``flags_raised``, ``flags_resolved``, ``actions``, ``warnings``). The
#: surfaces pass graph360.analytics.routing.route_now: ingest sits below the analytics and
#: does not import them (tests/test_layers.py).
Router = Callable[[GraphStore, list[str], dt.datetime], dict[str, list[Any]]]

#: The inputs, named as in InvalidRecordError.problems, and the bundle file each one is a row of.
INPUTS = {"touchpoint": "touchpoints", "customer": "customers"}


@dataclass(frozen=True)
class RecordResult:
    """What recording one touchpoint did.

    ``customer`` says how the touchpoint's customer came about: ``existing`` (a customer the
    graph knew, found by the touchpoint's reference or by a known record), ``created`` (the
    customer record given is a new person), ``joined`` (the new record is an existing
    customer's, by e-mail or phone) or ``merged`` (the new record bridged several customers:
    ``merged_customer_ids`` were folded into ``customer_id``). ``rule`` and ``via`` explain
    how the given record was linked (as on its IDENTIFIED_BY). ``flags_raised`` (created or
    re-opened), ``flags_resolved`` and ``actions`` (the follow-ups created, each with
    action_id, customer_id, touchpoint_id, department_id, routed_by, due_at) come from routing
    the customer at once; all are empty when there was no ``router``.
    """

    touchpoint_id: str
    customer_id: str
    touchpoint_created: bool
    customer: str
    record_key: str | None = None
    rule: str | None = None
    via: str | None = None
    merged_customer_ids: list[str] = field(default_factory=list)
    identifiers_blocked: dict[str, int] = field(default_factory=dict)
    flags_raised: list[str] = field(default_factory=list)
    flags_resolved: list[str] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def record_touchpoint(
    store: GraphStore,
    touchpoint: Mapping[str, Any],
    *,
    customer: Mapping[str, Any] | None = None,
    max_shared: int = identity.DEFAULT_MAX_SHARED,
    default_region: str = identity.DEFAULT_REGION,
    router: Router | None = None,
    now: dt.datetime | None = None,
) -> RecordResult:
    """Validate, resolve and write one touchpoint, then route its customer; all or nothing.

    ``touchpoint`` has the columns of the bundle's touchpoints.csv (touchpoint_id, at, channel
    and kind required; the customer as ``source`` + ``customer_id`` or as ``email``; campaign_id,
    step_id, department_id, product_id, value, rating, rating_scale, sentiment, text, outcome,
    resolution); any other key is kept in ``attributes``, as an extra column would be. Values
    may be text (as in a CSV file), numbers or dates/times (naive ones are UTC).

    ``customer`` is a row of customers.csv (source and customer_id required; name, email, phone,
    country, … optional): a new or updated source record, resolved as a load would resolve it, so
    a touchpoint from someone never seen before creates (or joins, or bridges) a customer. A
    touchpoint with no customer reference of its own refers to this record.

    ``max_shared`` and ``default_region`` are the loader's settings of the same names;
    ``router`` routes the customer in the same transaction (none: recorded without routing);
    ``now`` stamps a new record and the actions raised (default: the current UTC time).

    Raises InvalidRecordError (reasons per input, worded as the loader's rejects) when a rule is
    broken, NotFoundError when a poor rating needs a fallback department and there is none, and
    StoreError when the store fails; in each case nothing is written.
    """
    now = now or utc_now()
    rows = {"touchpoint": dict(touchpoint), "customer": dict(customer) if customer else None}
    if customer and all(
        _missing(touchpoint.get(column)) for column in ("source", "customer_id", "email")
    ):
        rows["touchpoint"]["source"] = customer.get("source")
        rows["touchpoint"]["customer_id"] = customer.get("customer_id")
    problems = {name: _shape_problems(row) for name, row in rows.items() if row is not None}
    if any(problems.values()):
        raise InvalidRecordError(problems)
    if customer is None:
        lean = _lean(store, rows["touchpoint"], max_shared)
        if lean is not None:
            (customer_id,) = lean.customers
            with store.atomic():
                write_lean(store, lean)
                routed = router(store, [customer_id], now) if router else {}
            return _lean_result(lean, routed)
    raw = {
        INPUTS[name]: _raw_file(INPUTS[name], [] if row is None else [row])
        for name, row in rows.items()
    }
    batch = prepare_batch(
        store,
        raw,
        max_shared=max_shared,
        default_region=default_region,
        neighbourhood=True,
        now=now,
    )
    if batch.rejects:
        by_file = {file: name for name, file in INPUTS.items()}
        found: dict[str, list[str]] = {}
        for reject in batch.rejects:
            found.setdefault(by_file[reject.file], []).extend(reject.reason.split("; "))
        raise InvalidRecordError(found)
    (customer_id,) = batch.checked["touchpoints"]["__customer"]
    with store.atomic():
        nodes_created, _ = write_batch(store, batch)
        routed = router(store, [customer_id], now) if router else {}
    return _result(batch, customer_id, nodes_created.get("Touchpoint", 0) > 0, routed)


def _lean(store: GraphStore, touchpoint: dict[str, Any], max_shared: int) -> LeanGroup | None:
    """The lean path's group for a new touchpoint of a known customer (``graph360.ingest.lean``:
    the loader's rules without the bundle's frames, 60 ms less at 1M customers), or None: a
    touchpoint already stored is upserted (it may have changed) and anything else the lean
    path is unsure of goes the loader's way, reasons and all."""
    tid = touchpoint.get("touchpoint_id")
    if _missing(tid):
        return None
    if stored_touchpoints(store, [str(_text(tid))]):
        return None
    return prepare_lean(store, [touchpoint], max_shared=max_shared)


def _lean_result(lean: LeanGroup, routed: dict[str, list[Any]]) -> RecordResult:
    """A new touchpoint of an existing customer, as ``_result`` tells it."""
    return RecordResult(
        touchpoint_id=str(lean.rows.column("touchpoint_id")[0]),
        customer_id=lean.customers[0],
        touchpoint_created=True,
        customer="existing",
        **routed,
    )


def _result(
    batch: Batch, customer_id: str, created: bool, routed: dict[str, list[Any]]
) -> RecordResult:
    resolution = batch.people.resolution
    customers = batch.checked["customers"]
    record_key = rule = via = None
    status = "existing"
    if len(customers):
        (record_key,) = customers["record_key"]
        rule, via = resolution.rule_of.get(record_key), resolution.via_of.get(record_key)
        if record_key not in batch.people.existing_records:
            owner = resolution.customer_of[record_key]
            if owner in resolution.new_customers:
                status = "created"
            elif resolution.merged_customers:
                status = "merged"
            else:
                status = "joined"
    (touchpoint_id,) = batch.checked["touchpoints"]["touchpoint_id"]
    return RecordResult(
        touchpoint_id=str(touchpoint_id),
        customer_id=str(customer_id),
        touchpoint_created=created,
        customer=status,
        record_key=record_key,
        rule=rule,
        via=via,
        merged_customer_ids=sorted(resolution.merged_customers),
        identifiers_blocked=dict(resolution.blocked),
        **routed,
    )


# --- one row as a bundle file ---------------------------------------------------------------


def _raw_file(name: str, rows: list[dict[str, Any]]) -> RawFile:
    """``rows`` as the reader would have read them from ``name``.csv: every value text, trimmed,
    an empty one missing; the spec's columns first, other keys after them as extra columns."""
    spec = FILES[name]
    columns = list(spec.known)
    for row in rows:
        columns += [key for key in row if key not in columns]
    table = pa.table(
        {
            column: pa.array([_text(row.get(column)) for row in rows], pa.string())
            for column in columns
        }
    )
    frame = table.to_pandas()
    frame[LINE] = np.arange(1, len(rows) + 1)
    return RawFile(spec, Path(f"{name}.csv"), frame, rows_read=len(rows))


def _shape_problems(row: dict[str, Any]) -> list[str]:
    """What no bundle row could be: a reserved key, or a value that is not one value."""
    problems = []
    for key, value in row.items():
        if not isinstance(key, str) or not key.strip() or key.startswith("_"):
            problems.append(f"field name {key!r} is not allowed (empty, or starts with '_')")
        elif value is not None and not isinstance(
            value, str | int | float | Decimal | dt.date | dt.datetime
        ):
            problems.append(
                f"{key} must be text, a number or a date/time, not {type(value).__name__}"
            )
    return problems
