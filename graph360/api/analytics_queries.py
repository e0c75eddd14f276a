"""Queries for the analytics (``analytics:read``): each runs in the server's analytics worker."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from graph360 import periods
from graph360.analytics.engagement import data as engagement_data
from graph360.api import analytics_types as at
from graph360.api import experience_types as et
from graph360.api.card import Influencer
from graph360.api.compute import Answer
from graph360.api.pagination import page_size
from graph360.api.permissions import ctx, needs
from graph360.api.scalars import When
from graph360.api.shapes import build, utc
from graph360.errors import InvalidRequestError


@strawberry.enum
class Grouping(Enum):
    DEPARTMENT = "department"
    DIVISION = "division"


async def _analytic(info: Info, function: str, **kwargs: Any) -> Answer:
    """An analytic in the server's analytics worker (graph360.api.compute): apart from the
    cards, remembered per graph version, a COMPUTING error past the wait limit."""
    return await ctx(info).analytic(function, **kwargs)


def _answer(answer: Answer, data: dict[str, Any], key: str = "as_of") -> dict[str, Any]:
    """``data`` with the graph state it reflects under ``key`` (the analytic's own, if any)."""
    return {**data, key: data.get(key) or answer.as_of}


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Top customers by influence, as last computed (graph360 influence).",
    )
    async def influencers(self, info: Info, first: int | None = None) -> list[Influencer]:
        size = page_size(first)
        answer = await _analytic(
            info, "graph360.analytics.influence.scores:stored_influence", memo=False, limit=size
        )
        as_of = build(at.GraphAsOf, answer.as_of)
        return [
            Influencer(
                customer_id=r["customer_id"],
                name=r["name"],
                score=r["pagerank"],
                rank=r["influence_rank"],
                reach=r["reach"],
                community=r["community"],
                computed_at=utc(r["influence_at"]),
                as_of=as_of,
            )
            for r in answer.value
        ]

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Reach per department or division, pairwise overlap, every exclusive "
        "intersection, contact collisions and cross-sell candidates (see analytics.overlap).",
    )
    async def overlap(
        self,
        info: Info,
        by: Grouping = Grouping.DEPARTMENT,
        since: When | None = None,
        until: When | None = None,
        window_hours: float = 48,
        top: int = 10,
    ) -> at.OverlapReport:
        args = _overlap_args(by, since, until, window_hours, top)
        answer = await _analytic(info, "graph360.analytics.overlap:overlap_report", **args)
        return build(at.OverlapReport, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Customers contacted by two or more units within `windowHours`.",
    )
    async def collisions(
        self,
        info: Info,
        by: Grouping = Grouping.DEPARTMENT,
        since: When | None = None,
        until: When | None = None,
        window_hours: float = 48,
        top: int = 10,
    ) -> at.Collisions:
        args = _overlap_args(by, since, until, window_hours, top)
        answer = await _analytic(info, "graph360.analytics.overlap:contact_collisions", **args)
        return build(at.Collisions, _answer(answer, dataclasses.asdict(answer.value)))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Journey steps nobody owns (or several do), their traffic and value at "
        "stake, orphan touchpoints (see analytics.ownership).",
    )
    async def ownership_audit(
        self,
        info: Info,
        journey: str | None = None,
        top: int = 5,
        persona: str | None = None,
        segment: str | None = None,
    ) -> at.OwnershipAudit:
        size = page_size(top)
        answer = await _analytic(
            info,
            "graph360.analytics.ownership.audit:ownership_audit",
            journey_id=journey,
            top=size,
            persona=persona,
            segment=segment,
        )
        data = answer.value.to_dict()
        return build(at.OwnershipAudit, _answer(answer, data, "graph_as_of"))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Reach, conversion and drop-off per step of one journey, and its paths.",
    )
    async def funnel(
        self,
        info: Info,
        journey: str,
        since: When | None = None,
        until: When | None = None,
        paths: int = 10,
        persona: str | None = None,
        segment: str | None = None,
    ) -> at.Funnel:
        size = page_size(paths)
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.journeys:journey_funnel",
            journey_id=journey,
            since=period.since,
            until=period.until,
            paths=size,
            persona=persona,
            segment=segment,
        )
        return build(at.Funnel, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Which source systems feed each journey step, the steps with no data, and "
        "the customers known to only one system (analytics.coverage).",
    )
    async def coverage(
        self,
        info: Info,
        journey: str | None = None,
        persona: str | None = None,
        segment: str | None = None,
    ) -> at.Coverage:
        answer = await _analytic(
            info,
            "graph360.analytics.coverage:coverage",
            journey=journey,
            persona=persona,
            segment=segment,
        )
        return build(at.Coverage, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Multichannel journeys: the share on two or more channels, the common "
        "channel sequences, conversion single against multichannel with a test "
        "(analytics.channels).",
    )
    async def channels(
        self,
        info: Info,
        journey: str,
        goal: str | None = None,
        since: When | None = None,
        until: When | None = None,
        top: int = 10,
    ) -> et.Multichannel:
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.channels:multichannel",
            journey_id=journey,
            goal=goal,
            since=period.since,
            until=period.until,
            top=top,
        )
        return build(et.Multichannel, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="When people engage: response rate by send hour and weekday per channel, the "
        "best windows, and an optional A/B comparison of two channels.",
    )
    async def engagement(
        self,
        info: Info,
        channels: list[str] | None = None,
        by_department: bool = False,
        since: When | None = None,
        until: When | None = None,
        timezone: str | None = None,
        min_volume: int = engagement_data.MIN_VOLUME,
        top: int = 3,
        compare_channels: list[str] | None = None,
    ) -> at.Engagement:
        size = page_size(top)
        if compare_channels is not None and len(compare_channels) != 2:
            raise InvalidRequestError("compareChannels takes exactly two channels")
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.engagement.report:engagement",
            channels=channels,
            by="department" if by_department else None,
            since=period.since,
            until=period.until,
            timezone=timezone,
            min_volume=min_volume,
            top=size,
            ab_channels=tuple(compare_channels) if compare_channels else None,
        )
        return build(at.Engagement, _answer(answer, answer.value.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="The top themes of what customers wrote, with volume, trend by month, share "
        "negative, steps, departments and examples masked for the caller (analytics.themes).",
    )
    async def themes(
        self,
        info: Info,
        journey: str | None = None,
        department: str | None = None,
        persona: str | None = None,
        segment: str | None = None,
        since: When | None = None,
        until: When | None = None,
        top: int = 8,
    ) -> et.Themes:
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.themes:themes",
            journey=journey,
            department=department,
            persona=persona,
            segment=segment,
            since=period.since,
            until=period.until,
            top=top,
        )
        shown = answer.value.for_audience(ctx(info).audience)
        return build(et.Themes, _answer(answer, shown.to_dict()))

    @strawberry.field(
        permission_classes=needs("analytics:read"),
        description="Ratings and sentiment after each interaction per handling department or "
        "agent, with 95% intervals, volume and worst themes (analytics.feedback).",
    )
    async def feedback(
        self,
        info: Info,
        by: str = "department",
        since: When | None = None,
        until: When | None = None,
        min_volume: int = 1,
        top: int = 50,
    ) -> et.Feedback:
        period = periods.parse_period(since, until)
        answer = await _analytic(
            info,
            "graph360.analytics.feedback:feedback",
            by=by,
            since=period.since,
            until=period.until,
            min_volume=min_volume,
            top=top,
        )
        return build(et.Feedback, _answer(answer, answer.value.to_dict()))


def _overlap_args(
    by: Grouping, since: When | None, until: When | None, window_hours: float, top: int
) -> dict[str, Any]:
    """The overlap module's arguments from the GraphQL ones, checked as every surface does."""
    period = periods.parse_period(since, until)
    return {
        "by": by.value,
        "since": period.since,
        "until": period.until,
        "window_hours": periods.parse_window(window_hours),
        "top": page_size(top),
    }
