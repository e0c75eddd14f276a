"""The plain types of the 360 card (no resolvers of their own) and how a store row becomes one."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graph360.analytics import card as card_data
from graph360.api.permissions import ctx
from graph360.api.shapes import utc


@strawberry.enum
class Severity(Enum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


@strawberry.type
class Location:
    city: str | None
    region: str | None
    country: str | None


@strawberry.type
class Value:
    """As graph360.analytics.value defines them; null until the value scores are computed."""

    current: float | None
    potential: float | None
    at_risk: float | None
    computed_at: dt.datetime | None


@strawberry.type
class Influence:
    """As graph360.analytics.influence defines them (PageRank over the customers' network)."""

    score: float | None
    rank: int | None
    reach: int | None
    community: int | None
    computed_at: dt.datetime | None


@strawberry.type
class Activity:
    touchpoints: int
    last_12_months: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None


@strawberry.type
class SourceRecord:
    record_key: strawberry.ID
    source: str | None
    source_id: str | None
    name: str | None
    rule: str | None = strawberry.field(description="How the record was linked to the customer.")
    via: str | None = strawberry.field(description="The record the link went through.")
    linked_at: dt.datetime | None
    loaded_at: dt.datetime | None
    attributes: JSON | None
    email: str | None
    phone: str | None


@strawberry.type
class Department:
    id: strawberry.ID
    name: str | None


@strawberry.type
class Account:
    id: strawberry.ID
    name: str | None
    kind: str | None
    status: str | None
    plan: str | None
    opened_at: dt.datetime | None
    value: float | None
    role: str | None
    department: Department | None


@strawberry.type
class JourneyPosition:
    """Where the customer is in one journey: the step of their latest touchpoint in it."""

    journey_id: strawberry.ID
    journey: str | None
    step_id: strawberry.ID
    step: str | None
    position: int | None
    at: dt.datetime | None
    owners: list[str]
    unowned: bool


@strawberry.type
class CampaignTarget:
    id: strawberry.ID
    name: str | None
    channel: str | None
    added_at: dt.datetime | None
    department: str | None


@strawberry.type
class Touchpoint:
    id: strawberry.ID
    at: dt.datetime | None
    channel: str | None
    kind: str | None
    value: float | None
    rating: float | None
    rating_scale: int | None
    sentiment: float | None
    outcome: str | None
    source: str | None
    campaign: str | None
    step: str | None
    department: str | None
    text: str | None
    resolution: str | None


@strawberry.type
class Flag:
    id: strawberry.ID
    kind: str | None
    severity: str | None
    raised_at: dt.datetime | None
    status: str | None
    reason: str | None


@strawberry.type
class Action:
    id: strawberry.ID
    kind: str | None
    status: str | None
    due_at: dt.datetime | None
    created_at: dt.datetime | None
    department: str | None
    reason: str | None


@strawberry.type
class Offer:
    product_id: strawberry.ID
    name: str | None
    category: str | None
    score: float | None
    basis: str | None
    reason: str | None


def to_flag(info: Info, row: dict[str, Any]) -> Flag:
    (row,) = card_data.with_reasons([row], ctx(info).audience)
    return Flag(
        id=row["flag_id"],
        kind=row["kind"],
        severity=row["severity"],
        raised_at=utc(row["raised_at"]),
        status=row["status"],
        reason=row["reason"],
    )


def to_action(info: Info, row: dict[str, Any]) -> Action:
    (row,) = card_data.with_reasons([row], ctx(info).audience)
    return Action(
        id=row["action_id"],
        kind=row["kind"],
        status=row["status"],
        due_at=utc(row["due_at"]),
        created_at=utc(row["created_at"]),
        department=row["department"],
        reason=row["reason"],
    )


def to_touchpoint(row: dict[str, Any]) -> Touchpoint:
    """A touchpoint row already shaped for its audience (card_data.shown_touchpoints)."""
    fields = ("channel", "kind", "value", "rating", "rating_scale", "sentiment", "outcome")
    return Touchpoint(
        id=row["touchpoint_id"],
        at=utc(row["at"]),
        **{k: row[k] for k in fields},
        source=row["source"],
        campaign=row["campaign"],
        step=row["step"],
        department=row["department"],
        text=row["text"],
        resolution=row["resolution"],
    )


@strawberry.type
class JourneyStep:
    id: strawberry.ID
    name: str | None
    stage: str | None
    position: int | None
    journey_id: str | None
    journey: str | None
    owners: list[Department]


def to_step(row: dict[str, Any]) -> JourneyStep:
    return JourneyStep(
        id=row["step_id"],
        name=row["step"],
        stage=row["stage"],
        position=row["position"],
        journey_id=row["journey_id"],
        journey=row["journey"],
        owners=[
            Department(id=d, name=n) for d, n in zip(row["owners"], row["owner_names"], strict=True)
        ],
    )
