"""Engagement heatmaps: hour of day across, weekday down, one panel per channel (and department)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from graph360.analytics.engagement.data import WEEKDAYS
from graph360.analytics.engagement.heatmaps import Heatmap

_MEASURE = {
    "response_rate": ("response rate by send time", "responded / delivered"),
    "activity_share": ("share of responses by time", "share of the channel's responses"),
}


def plot_heatmaps(
    maps: list[Heatmap],
    path: str | Path,
    *,
    min_volume: int = 0,
    title: str | None = None,
    timezone: str | None = None,
) -> Path:
    """Draw each grid as a panel (:func:`heatmaps_figure`) and write a PNG."""
    path = Path(path)
    figure = heatmaps_figure(maps, min_volume=min_volume, title=title, timezone=timezone)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def heatmaps_figure(
    maps: list[Heatmap],
    *,
    min_volume: int = 0,
    title: str | None = None,
    timezone: str | None = None,
) -> Figure:
    """Each grid as a panel, two a row.

    Colour is the cell's value from 0 to the panel's largest. In a response-rate panel, cells
    with fewer than ``min_volume`` deliveries are grey (so a cell of two sends cannot shine at
    100%), as are cells with none.
    """
    if not maps:
        raise ValueError("no heatmap to draw")
    columns = min(2, len(maps))
    rows = -(-len(maps) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(7.5 * columns, 2.9 * rows), squeeze=False, layout="constrained"
    )
    clock = timezone or "UTC"
    for axis, grid in zip(axes.flat, maps, strict=False):
        name, unit = _MEASURE[grid.measure]
        rate = grid.measure == "response_rate"
        thin = (grid.base < max(min_volume, 1)) if rate else np.zeros((7, 24), dtype=bool)
        values = np.ma.masked_where(~np.isfinite(grid.value) | thin, grid.value)
        colours = plt.get_cmap("viridis").with_extremes(bad="#d9d9d9")
        top = float(values.max()) if values.count() else 0.0
        image = axis.imshow(
            values,
            aspect="auto",
            cmap=colours,
            vmin=0,
            vmax=top or 1.0,
            interpolation="nearest",
        )
        note = f"; grey: < {min_volume} sent" if rate and min_volume > 1 else ""
        axis.set_title(f"{grid.label}: {name} (n = {grid.total:,}{note})", fontsize=10)
        axis.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)], fontsize=8)
        axis.set_yticks(range(7), WEEKDAYS, fontsize=8)
        axis.set_xlabel(f"hour of day ({clock})", fontsize=9)
        axis.set_ylabel("weekday", fontsize=9)
        bar = figure.colorbar(image, ax=axis, fraction=0.04, pad=0.02)
        bar.set_label(unit, fontsize=8)
        scale = top or 1.0
        digits = 0 if scale >= 0.1 else 1 if scale >= 0.01 else 2
        bar.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _, d=digits: f"{v:.{d}%}"))
        bar.ax.tick_params(labelsize=7)
    for axis in list(axes.flat)[len(maps) :]:
        axis.set_visible(False)
    if title:
        figure.suptitle(title, fontsize=12)
    return figure
