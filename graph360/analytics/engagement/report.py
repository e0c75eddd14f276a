"""The whole engagement answer (``graph360 engagement``) from one read of the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from graph360.analytics.engagement.comparison import (
    Comparison,
    compare_channels,
    compare_windows,
    parse_window,
)
from graph360.analytics.engagement.data import (
    ATTRIBUTION_DAYS,
    MIN_VOLUME,
    EngagementData,
    EngagementError,
    Measure,
    load_engagement,
)
from graph360.analytics.engagement.heatmaps import Heatmap, best_windows, heatmaps
from graph360.store.base import GraphStore


@dataclass
class EngagementReport:
    since: dt.datetime | None
    until: dt.datetime | None
    timezone: str | None
    attribution_days: float
    min_volume: int
    channels: list[dict[str, Any]]
    heatmaps: list[Heatmap]
    best: list[dict[str, Any]]
    comparison: Comparison | None = None
    #: the facts projection's version it was answered from (None: direct Cypher)
    as_of: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "since": self.since,
            "until": self.until,
            "timezone": self.timezone or "UTC",
            "attribution_days": self.attribution_days,
            "min_volume": self.min_volume,
            "channels": self.channels,
            "heatmaps": [h.to_dict() for h in self.heatmaps],
            "best": self.best,
            "comparison": self.comparison.to_dict() if self.comparison else None,
        }

    def rows(self) -> list[dict[str, Any]]:
        """Every cell of every grid, long form (the CSV answer)."""
        return [row for grid in self.heatmaps for row in grid.rows()]


def engagement(
    store: GraphStore,
    *,
    channels: Iterable[str] | None = None,
    by: Literal["department"] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    timezone: str | None = None,
    measure: Measure = "auto",
    min_volume: int = MIN_VOLUME,
    top: int = 3,
    ab_channels: tuple[str, str] | None = None,
    ab_windows: tuple[str, str] | None = None,
    attribution_days: float = ATTRIBUTION_DAYS,
    use_facts: bool = True,
) -> EngagementReport:
    """Everything ``graph360 engagement`` shows, from one read of the store.

    ``ab_channels`` compares the response rates of two channels; ``ab_windows`` compares two
    send windows of the one channel with deliveries among ``channels`` (or among all).
    ``use_facts`` false reads with multi-hop Cypher instead of the facts projection.
    """
    for window in ab_windows or ():
        parse_window(window)  # a malformed window is refused before anything is read
    wanted = list(channels) if channels else None
    if ab_channels:
        wanted = sorted(set(wanted or []) | set(ab_channels))
    data = load_engagement(
        store,
        channels=wanted,
        since=since,
        until=until,
        timezone=timezone,
        attribution_days=attribution_days,
        by_department=by == "department",
        use_facts=use_facts,
    )
    comparison = None
    if ab_channels:
        comparison = compare_channels(data, *ab_channels)
    elif ab_windows:
        comparison = compare_windows(data, _window_channel(data, channels), *ab_windows)
    maps = heatmaps(data, by=by, measure=measure)
    return EngagementReport(
        since=since,
        until=until,
        timezone=timezone,
        attribution_days=attribution_days,
        min_volume=min_volume,
        channels=_channel_summary(data),
        heatmaps=maps,
        best=best_windows(maps, top=top, min_volume=min_volume),
        comparison=comparison,
        as_of=data.as_of,
    )


def _window_channel(data: EngagementData, channels: Iterable[str] | None) -> str:
    """The one channel with deliveries among those asked for (or among all)."""
    sending = data.delivery_channels()
    candidates = [c for c in sorted(set(channels or sending)) if c in sending]
    if len(candidates) == 1:
        return candidates[0]
    raise EngagementError(
        "comparing windows needs one channel with deliveries: give --channel "
        f"({' or '.join(candidates or sending) or 'none sends in the period'})"
    )


def _channel_summary(data: EngagementData) -> list[dict[str, Any]]:
    rows = []
    for channel in data.channels:
        sent = data.deliveries[data.deliveries["channel"] == channel]
        responses = int((data.responses["channel"] == channel).sum())
        delivered = len(sent)
        responded = int(sent["responded"].sum()) if delivered else 0
        rows.append(
            {
                "channel": channel,
                "sent": data.sent.get(channel, 0),
                "delivered": delivered,
                "responded": responded,
                "response_rate": responded / delivered if delivered else None,
                "responses": responses,
            }
        )
    return rows
