"""Recording touchpoints as they happen: one, or a batch (the same path as POST /events)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from graph360.analytics.routing import route_now
from graph360.api.card import Customer, customer_by_id
from graph360.api.events import MAX_EVENTS
from graph360.api.permissions import ctx, needs
from graph360.api.shapes import build, stored
from graph360.errors import InvalidRequestError
from graph360.ingest.events import needs_routing, outcome_counts
from graph360.ingest.realtime import record_touchpoint


@strawberry.input
class TouchpointInput:
    """A touchpoint as the canonical bundle's touchpoints.csv has it (see the README)."""

    touchpoint_id: strawberry.ID
    at: dt.datetime
    channel: str
    kind: str
    customer_id: str | None = strawberry.field(
        default=None, description="The customer's id in `source` (with `source`)."
    )
    source: str | None = None
    email: str | None = strawberry.field(default=None, description="Or the customer's e-mail.")
    value: float | None = None
    rating: float | None = None
    rating_scale: int | None = None
    sentiment: float | None = None
    text: str | None = None
    outcome: str | None = None
    resolution: str | None = None
    campaign_id: str | None = None
    step_id: str | None = None
    department_id: str | None = None
    product_id: str | None = None


@strawberry.input
class CustomerRecordInput:
    """A customers.csv row: a source system's record of the person (new or updated)."""

    source: str
    customer_id: str = strawberry.field(description="The person's id in `source`.")
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    gender: str | None = None
    birth_date: dt.date | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    segment: str | None = None
    persona: str | None = None
    lifecycle_stage: str | None = None
    pseudo_id: str | None = strawberry.field(
        default=None, description="A device's or cookie's id (GA4's user_pseudo_id)."
    )
    identified_as: str | None = strawberry.field(
        default=None,
        description="For a sign-in: `source:customer_id` of the record the device signed in as.",
    )


@strawberry.type
class RoutedAction:
    action_id: strawberry.ID
    department_id: str | None
    routed_by: str | None
    due_at: dt.datetime | None


@strawberry.type
class RecordedTouchpoint:
    """What recording did: ``customer`` is existing, created, joined or merged."""

    touchpoint_id: strawberry.ID
    customer_id: strawberry.ID
    touchpoint_created: bool
    customer: str
    record_key: str | None
    rule: str | None
    via: str | None
    merged_customer_ids: list[str]
    flags_raised: list[str]
    flags_resolved: list[str]
    actions: list[RoutedAction]
    warnings: list[str]

    @strawberry.field(description="The customer's card as it is now.")
    async def card(self, info: Info) -> Customer:
        return await customer_by_id(info, self.customer_id)


@strawberry.input
class TouchpointEventInput(TouchpointInput):
    """A streamed touchpoint: a TouchpointInput, with its person's record if they may be new."""

    customer: CustomerRecordInput | None = None


@strawberry.type
class RecordedEvent:
    """One event of a batch: ``status`` is recorded, duplicate (its touchpoint_id was recorded
    before: nothing changed) or rejected (``reasons``; nothing of it was written)."""

    index: int
    touchpoint_id: strawberry.ID | None
    status: str
    customer_id: strawberry.ID | None
    reasons: list[str]


@strawberry.type
class RecordedEvents:
    recorded: int
    duplicate: int
    rejected: int
    #: Events naming an erased person (graph360.suppression): not recorded.
    suppressed: int
    events: list[RecordedEvent]


def _event(data: TouchpointEventInput) -> dict[str, Any]:
    """An event as ``graph360.ingest.events`` takes it: the touchpoint's columns, its record
    under ``customer``."""
    row = _given(data)
    if data.customer is not None:
        row["customer"] = _given(data.customer)
    return row


def _given(data: object) -> dict[str, Any]:
    """An input's fields that were given, as the loader's columns (times as UTC)."""
    values = {k: v for k, v in vars(data).items() if v is not None}
    return {k: stored(v) if isinstance(v, dt.datetime) else v for k, v in values.items()}


@strawberry.type
class RecordingMutations:
    @strawberry.mutation(
        permission_classes=needs("touchpoints:write"),
        description="Record a touchpoint now: the loader's rules and identity resolution, then "
        "a poor rating (or anything else a routing rule reads: a sentiment, an outcome, a "
        "complaint) is routed at once. Invalid input writes nothing.",
    )
    async def record_touchpoint(
        self, info: Info, touchpoint: TouchpointInput, customer: CustomerRecordInput | None = None
    ) -> RecordedTouchpoint:
        row, record = _given(touchpoint), _given(customer) if customer else None
        router = route_now if needs_routing(row) else None  # a page view raises nothing
        done = await ctx(info).write(
            lambda s: record_touchpoint(s, row, customer=record, router=router)
        )
        return build(RecordedTouchpoint, done.to_dict())

    @strawberry.mutation(
        permission_classes=needs("touchpoints:write"),
        description="Record a batch of touchpoints (as POST /events): the loader's rules and "
        "identity resolution, one transaction shared with concurrent callers; a bad event gets "
        "its reasons and the good ones still land; a touchpoint_id already recorded is a "
        "duplicate. Routing follows right after. A full write queue refuses the batch.",
    )
    async def record_touchpoints(
        self, info: Info, batch: list[TouchpointEventInput]
    ) -> RecordedEvents:
        if len(batch) > MAX_EVENTS:
            raise InvalidRequestError(f"{len(batch)} events: send at most {MAX_EVENTS} a batch")
        outcomes = await ctx(info).runner.record_events([_event(e) for e in batch])
        return RecordedEvents(
            **outcome_counts(outcomes),
            events=[RecordedEvent(**o.to_dict()) for o in outcomes],
        )
