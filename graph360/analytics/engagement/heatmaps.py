"""Hour x weekday grids of response rate or activity share, and their best windows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from graph360.analytics.engagement.data import (
    DELIVERIES,
    MIN_VOLUME,
    WEEKDAYS,
    Z95,
    EngagementData,
    EngagementError,
    Measure,
)


@dataclass
class Heatmap:
    """One weekday (rows, Mon..Sun) x hour (columns, 0..23) grid of a channel (and department).

    ``count``: responded deliveries (rate) or responses (share) per cell; ``base``: delivered
    deliveries per cell (rate) or all the channel's responses (share, the same in every cell).
    """

    channel: str
    department: str | None
    measure: Literal["response_rate", "activity_share"]
    count: np.ndarray
    base: np.ndarray

    @property
    def value(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.base > 0, self.count / np.maximum(self.base, 1), np.nan)

    @property
    def total(self) -> int:
        return int(self.base.sum()) if self.measure == "response_rate" else int(self.count.sum())

    @property
    def label(self) -> str:
        return self.channel + (f" / {self.department}" if self.department else "")

    def rows(self) -> list[dict[str, Any]]:
        """One row per cell: channel, department, measure, weekday, hour, count, base, value."""
        value = self.value
        return [
            {
                "channel": self.channel,
                "department": self.department,
                "measure": self.measure,
                "weekday": WEEKDAYS[d],
                "hour": h,
                "count": int(self.count[d, h]),
                "base": int(self.base[d, h]),
                "value": None if np.isnan(value[d, h]) else float(value[d, h]),
            }
            for d in range(7)
            for h in range(24)
        ]

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        return {
            "channel": self.channel,
            "department": self.department,
            "measure": self.measure,
            "weekdays": list(WEEKDAYS),
            "count": self.count.tolist(),
            "base": self.base.tolist(),
            "value": [[None if np.isnan(v) else float(v) for v in row] for row in value],
        }


def heatmaps(
    data: EngagementData, *, by: Literal["department"] | None = None, measure: Measure = "auto"
) -> list[Heatmap]:
    """The grids: per channel (per department too with ``by="department"``).

    ``measure``: ``auto`` — response rate where the channel has deliveries in the period,
    activity share elsewhere; ``rate`` — response rate, channels with deliveries only;
    ``activity`` — activity share everywhere.
    """
    sending = set(data.delivery_channels())
    maps: list[Heatmap] = []
    for channel in data.channels:
        rate = channel in sending and measure != "activity"
        if measure == "rate" and not rate:
            continue
        if rate:
            rows = data.deliveries[data.deliveries["channel"] == channel]
            groups = [(None, rows)] if by is None else _by_department(rows)
            for department, part in groups:
                base = _grid(part)
                count = _grid(part[part["responded"]])
                maps.append(Heatmap(channel, department, "response_rate", count, base))
        else:
            rows = data.responses[data.responses["channel"] == channel]
            if rows.empty:
                continue
            groups = [(None, rows)] if by is None else _by_department(rows)
            for department, part in groups:
                count = _grid(part)
                base = np.full((7, 24), int(count.sum()), dtype=np.int64)
                maps.append(Heatmap(channel, department, "activity_share", count, base))
    if measure == "rate" and not maps:
        raise EngagementError(
            "no channel with deliveries in the period: response rates need sends "
            f"({', '.join(DELIVERIES)}); use the activity share"
        )
    return maps


def _by_department(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(str(d), part) for d, part in rows.groupby("department", sort=True, observed=True)]


def _grid(rows: pd.DataFrame) -> np.ndarray:
    cell = rows["weekday"].to_numpy(np.int64) * 24 + rows["hour"].to_numpy(np.int64)
    return np.bincount(cell, minlength=7 * 24).reshape(7, 24).astype(np.int64)


def best_windows(
    maps: list[Heatmap], *, top: int = 3, min_volume: int = MIN_VOLUME
) -> list[dict[str, Any]]:
    """The ``top`` cells of each grid by value, among cells with at least ``min_volume``
    deliveries (rate) or responses (share); ties go to the larger count."""
    best: list[dict[str, Any]] = []
    for grid in maps:
        volume = grid.base if grid.measure == "response_rate" else grid.count
        value = grid.value
        cells = [(d, h) for d in range(7) for h in range(24) if volume[d, h] >= min_volume]
        cells.sort(key=lambda c: (-value[c], -int(grid.count[c]), c))
        for d, h in cells[:top]:
            x, n = int(grid.count[d, h]), int(grid.base[d, h])
            low, high = wilson(x, n)
            best.append(
                {
                    "channel": grid.channel,
                    "department": grid.department,
                    "measure": grid.measure,
                    "weekday": WEEKDAYS[d],
                    "hours": f"{h:02d}-{h + 1:02d}",
                    "value": float(value[d, h]),
                    "count": x,
                    "base": n,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return best


def wilson(x: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of ``x`` successes in ``n``."""
    if n == 0:
        return (math.nan, math.nan)
    p = x / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))
