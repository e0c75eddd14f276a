"""The analytics answers as GraphQL types: field names are the analytics' own keys.

Definitions of every figure live in the analytics modules' docstrings (graph360/analytics/);
these types only declare their shape for the schema (see :func:`graph360.api.shapes.build`).
"""

from __future__ import annotations

import datetime as dt

import strawberry


@strawberry.type(description="Which state of the graph an answer reflects.")
class GraphAsOf:
    graph_version: int = strawberry.field(description="Committed writes so far")
    written_at: dt.datetime | None = strawberry.field(description="When the last one was")
    projected_at: dt.datetime | None = strawberry.field(
        description="When the analytics' projection of that state was read"
    )


@strawberry.type
class OverlapUnit:
    unit: str
    name: str | None
    reached: int
    contacted: int
    contacts: int


@strawberry.type
class OverlapPair:
    unit_a: str
    unit_b: str
    name_a: str | None
    name_b: str | None
    customers_a: int
    customers_b: int
    both: int
    union: int
    jaccard: float | None
    overlap: float | None


@strawberry.type
class Intersection:
    units: list[str]
    names: list[str | None]
    degree: int
    customers: int
    share: float | None


@strawberry.type
class CollisionPair:
    unit_a: str
    unit_b: str
    name_a: str | None
    name_b: str | None
    customers: int
    a_first: int
    b_first: int
    median_gap_hours: float | None


@strawberry.type
class Contact:
    at: dt.datetime
    unit: str
    name: str | None


@strawberry.type
class CollisionOffender:
    customer_id: strawberry.ID
    name: str | None
    units: int
    contacts: int
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    unit_names: list[str | None]
    timeline: list[Contact]


@strawberry.type
class SequenceAdvice:
    first: str
    then: str
    name_first: str | None
    name_then: str | None
    min_gap_hours: int | None
    customers: int
    rule: str | None
    reason: str | None
    advice: str | None


@strawberry.type
class UnitResponse:
    unit: str
    name: str | None
    contacts: int
    responded: int
    response_rate: float | None


@strawberry.type(description="How many people a suggestion left out by their consent.")
class ConsentLeftOut:
    suggestion: str
    purposes: list[str]
    left_out: int


@strawberry.type
class Collisions:
    window_hours: float
    customers: int
    contacts: int
    pairs: list[CollisionPair]
    offenders: list[CollisionOffender]
    sequence: list[SequenceAdvice]
    response: list[UnitResponse]
    as_of: GraphAsOf | None
    left_out_by_consent: ConsentLeftOut | None = strawberry.field(
        description="Colliding customers the sequence leaves out: they refused e-mail marketing."
    )


@strawberry.type
class CrossSell:
    unit: str
    unit_name: str | None
    customer_id: strawberry.ID
    name: str | None
    segment: str | None
    persona: str | None
    region: str | None
    active_with: list[str]
    contacts: int
    profile_customers: int
    profile_buyers: int
    profile_rate: float | None
    base_rate: float | None
    lift: float | None
    reason: str | None


@strawberry.type
class OverlapReport:
    by: str
    since: dt.datetime | None
    until: dt.datetime | None
    window_hours: float
    units: list[OverlapUnit]
    pairs: list[OverlapPair]
    intersections: list[Intersection]
    collisions: Collisions
    cross_sell: list[CrossSell]
    as_of: GraphAsOf | None
    cross_sell_left_out_by_consent: ConsentLeftOut | None = strawberry.field(
        description="People left out of the candidates: they refused e-mail marketing or profiling."
    )


# --- ownership audit -------------------------------------------------------------------------


@strawberry.type
class ChannelTraffic:
    channel: str | None
    touchpoints: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    value: float | None


@strawberry.type
class StuckCustomer:
    customer_id: strawberry.ID
    since: dt.datetime | None
    value: float | None


@strawberry.type
class StepAudit:
    journey_id: str
    journey: str | None
    step_id: strawberry.ID
    step: str | None
    stage: str | None
    position: int | None
    owners: list[str]
    owner_names: list[str | None]
    status: str
    touchpoints: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    by_channel: list[ChannelTraffic]
    customers: int
    stuck: int
    stuck_value: float | None
    step_value: float | None
    value_at_stake: float | None
    top_stuck: list[StuckCustomer]
    likely_owner: str | None
    likely_owner_name: str | None
    inferred_from: str | None
    advice: str | None
    mood: StepMood | None


@strawberry.type(description="How people rated and sounded at a step (analytics.mood).")
class StepMood:
    step_id: strawberry.ID
    ratings: int
    average_rating: float | None = strawberry.field(description="Mean of rating / its scale")
    share_poor: float | None
    sentiments: int
    average_sentiment: float | None
    share_negative: float | None
    themes: list[str]


@strawberry.type
class OrphanTouchpoints:
    channel: str | None
    kind: str | None
    touchpoints: int
    value: float | None
    first_at: dt.datetime | None
    last_at: dt.datetime | None


@strawberry.type
class AuditSummary:
    journeys: int
    steps: int
    unowned: int
    conflicts: int
    touchpoints_at_gaps: int
    customers_stuck_at_gaps: int
    value_at_stake: float | None
    orphan_touchpoints: int
    orphan_share: float | None


@strawberry.type
class JourneyRef:
    journey_id: strawberry.ID
    journey: str | None


@strawberry.type
class OwnershipAudit:
    as_of: dt.datetime
    value_since: dt.datetime | None
    scope: str | None
    journeys: list[JourneyRef]
    steps: list[StepAudit]
    orphans: list[OrphanTouchpoints]
    touchpoints_at_steps: int
    summary: AuditSummary
    graph_as_of: GraphAsOf | None = strawberry.field(
        description="Which state of the graph the audit reflects (asOf is its value window's end)"
    )
    persona: str | None = None
    segment: str | None = None
    coverage: Coverage | None = strawberry.field(
        default=None, description="The data behind the steps, by source system"
    )


# --- funnel ----------------------------------------------------------------------------------


@strawberry.type
class FunnelStep:
    step_id: strawberry.ID
    step: str | None
    position: int | None
    owners: list[str]
    customers: int
    from_previous: int | None
    conversion: float | None
    without_previous: int | None
    before_previous: int | None
    out_of_order: int | None
    median_seconds: float | None
    drop_off: int | None
    drop_off_rate: float | None
    mood: StepMood | None


@strawberry.type
class JourneyPath:
    steps: list[str]
    customers: int
    share: float | None
    in_order: bool
    skips: bool


@strawberry.type
class Funnel:
    journey_id: strawberry.ID
    journey: str | None
    since: dt.datetime | None
    until: dt.datetime | None
    customers: int
    out_of_order_customers: int
    steps: list[FunnelStep]
    paths: list[JourneyPath]
    distinct_paths: int
    as_of: GraphAsOf | None
    persona: str | None = None
    segment: str | None = None


# --- engagement ------------------------------------------------------------------------------


@strawberry.type
class ChannelEngagement:
    channel: str
    sent: int | None
    delivered: int | None
    responded: int | None
    response_rate: float | None
    responses: int | None


@strawberry.type
class Heatmap:
    """Rows are weekdays (Monday first), columns hours 0-23 in the report's timezone."""

    channel: str | None
    department: str | None
    measure: str
    weekdays: list[str]
    count: list[list[int | None]]
    base: list[list[int | None]] | None
    value: list[list[float | None]]


@strawberry.type
class BestWindow:
    channel: str | None
    department: str | None
    measure: str
    weekday: str
    hours: str
    value: float | None
    count: int | None
    base: int | None
    ci_low: float | None
    ci_high: float | None


@strawberry.type
class Comparison:
    a: str
    b: str
    responded_a: int
    delivered_a: int
    responded_b: int
    delivered_b: int
    rate_a: float | None
    rate_b: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    z: float | None
    p_value: float | None
    test: str


@strawberry.type
class Engagement:
    since: dt.datetime | None
    until: dt.datetime | None
    timezone: str
    attribution_days: float
    min_volume: int
    channels: list[ChannelEngagement]
    heatmaps: list[Heatmap]
    best: list[BestWindow]
    comparison: Comparison | None
    as_of: GraphAsOf | None


# --- data coverage ---------------------------------------------------------------------------


@strawberry.type
class SourceShare:
    source: str | None = strawberry.field(description="The system (null: none given)")
    touchpoints: int
    share: float


@strawberry.type
class StepCoverage:
    journey_id: str | None
    journey: str | None
    step_id: strawberry.ID
    step: str | None
    position: int | None
    touchpoints: int
    sources: list[SourceShare]


@strawberry.type
class SystemCoverage:
    source: str | None
    records: int
    customers: int
    only_here: int = strawberry.field(description="Customers no other system knows")
    touchpoints: int


@strawberry.type
class SystemsCount:
    systems: int
    customers: int


@strawberry.type
class UnplacedTouchpoints:
    source: str | None
    touchpoints: int


@strawberry.type(description="Which systems feed each step, and the gaps (analytics.coverage).")
class Coverage:
    customers: int
    unknown: int = strawberry.field(description="Customers known to no system")
    single_system: int
    share_single_system: float | None
    by_systems: list[SystemsCount]
    systems: list[SystemCoverage]
    steps: list[StepCoverage]
    steps_without_data: list[str]
    single_source_steps: list[str]
    unplaced: list[UnplacedTouchpoints]
    journey: str | None
    persona: str | None
    segment: str | None
    as_of: GraphAsOf | None
