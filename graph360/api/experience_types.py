"""What customers say and how they move between channels, as GraphQL types: themes, silence,
feedback and multichannel journeys (the other analytics' types are in
:mod:`graph360.api.analytics_types`). Field names are the analytics' own keys.
"""

from __future__ import annotations

import datetime as dt

import strawberry

from graph360.api.analytics_types import GraphAsOf

# --- themes ----------------------------------------------------------------------------------


@strawberry.type
class ThemeMonth:
    month: str
    texts: int


@strawberry.type
class ThemeStep:
    step_id: strawberry.ID
    step: str | None
    texts: int


@strawberry.type
class ThemeDepartment:
    department_id: strawberry.ID
    department: str | None
    texts: int


@strawberry.type
class Theme:
    label: str
    terms: list[str]
    volume: int
    share: float
    share_negative: float | None
    with_sentiment: int
    trend: list[ThemeMonth]
    steps: list[ThemeStep]
    departments: list[ThemeDepartment]
    examples: list[str]


@strawberry.type
class Themes:
    texts: int
    distinct_texts: int
    fitted_on: int
    unthemed: int
    themes: list[Theme]
    journey: str | None
    department: str | None
    persona: str | None
    segment: str | None
    since: dt.datetime | None
    until: dt.datetime | None
    as_of: GraphAsOf | None


# --- what they are not saying ----------------------------------------------------------------


@strawberry.type
class UnansweredVoice:
    touchpoint_id: strawberry.ID
    at: dt.datetime | None
    kind: str
    text: str | None


@strawberry.type
class CustomerSilence:
    unanswered_voices: int
    latest_unanswered: list[UnansweredVoice]
    silent_churn_risk: bool
    recent_touchpoints: int
    usual_touchpoints: float


# --- feedback --------------------------------------------------------------------------------


@strawberry.type
class WorstTheme:
    theme: str
    texts: int
    share_negative: float | None


@strawberry.type
class UnitFeedback:
    unit: str
    name: str | None
    volume: int
    ratings: int
    average_rating: float | None
    rating_ci: list[float] | None
    share_poor: float | None
    poor_ci: list[float] | None
    sentiments: int
    average_sentiment: float | None
    sentiment_ci: list[float] | None
    share_negative: float | None
    negative_ci: list[float] | None
    worst_themes: list[WorstTheme]


@strawberry.type
class Feedback:
    by: str
    since: dt.datetime | None
    until: dt.datetime | None
    min_volume: int
    units: list[UnitFeedback]
    left_out: int
    without_unit: int
    as_of: GraphAsOf | None


# --- multichannel journeys -------------------------------------------------------------------


@strawberry.type
class ChannelsCount:
    channels: int
    customers: int


@strawberry.type
class ChannelSequence:
    sequence: list[str]
    truncated: bool
    customers: int
    share: float
    converted: float = strawberry.field(description="Share of them reaching the goal")


@strawberry.type(description="Multichannel journeys (analytics.channels).")
class Multichannel:
    journey_id: strawberry.ID
    goal: list[str]
    since: dt.datetime | None
    until: dt.datetime | None
    customers: int
    multichannel: int
    share_multichannel: float | None
    by_channels: list[ChannelsCount]
    sequences: list[ChannelSequence]
    single_converted: int
    single_customers: int
    multi_converted: int
    multi_customers: int
    single_rate: float | None
    multi_rate: float | None
    difference: float | None
    test: str | None
    statistic: float | None
    p_value: float | None
    as_of: GraphAsOf | None
