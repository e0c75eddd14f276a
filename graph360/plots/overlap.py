"""The overlap picture: one PNG, two panels (``graph360.plots`` makes matplotlib headless).

Left, a heatmap of pairwise Jaccard overlap between the units (colour = Jaccard, from 0 to the
largest pair's; each cell annotated with the customers both units reached and the Jaccard; the
grey diagonal holds each unit's own reach). Right, UpSet-style bars: the largest exclusive
intersections (customers reached by exactly that combination of units), each combination drawn
as dots joined by a line below its bar.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.gridspec import GridSpec

from graph360.analytics.overlap import OverlapReport

__all__ = ["plot_overlap"]


def plot_overlap(report: OverlapReport, path: Path, *, bars: int = 15) -> Path:
    """Draw ``report``'s pairwise heatmap and its ``bars`` largest intersections into ``path``."""
    names = [u["name"] for u in report.units]
    k = len(names)
    counts, jaccard = _matrices(report)
    shown = report.intersections[:bars]
    width = 7 + 0.45 * k + 0.45 * max(len(shown), 4)
    fig = plt.figure(figsize=(width, max(6.0, 0.5 * k + 4)), constrained_layout=True)
    grid = GridSpec(2, 2, figure=fig, width_ratios=[1, 1.2], height_ratios=[3, max(1.2, 0.3 * k)])

    heat = fig.add_subplot(grid[:, 0])
    # The diagonal (a unit with itself) is grey, so the colours span the real pairs only.
    shown_j = np.where(np.eye(k, dtype=bool), np.nan, jaccard)
    top_j = float(np.nanmax(shown_j)) if k > 1 and np.nanmax(shown_j) > 0 else 1.0
    cmap = plt.get_cmap("Blues").with_extremes(bad="#e2e8f0")
    image = heat.imshow(shown_j, cmap=cmap, vmin=0, vmax=top_j)
    heat.set_xticks(range(k), names, rotation=45, ha="right")
    heat.set_yticks(range(k), names)
    for i in range(k):
        for j in range(k):
            colour = "white" if i != j and jaccard[i, j] > 0.6 * top_j else "black"
            label = f"{counts[i, j]:,}" if i == j else f"{counts[i, j]:,}\nJ {jaccard[i, j]:.2f}"
            heat.text(j, i, label, ha="center", va="center", fontsize=8, color=colour)
    fig.colorbar(image, ax=heat, shrink=0.7, label="Jaccard: both / (|A| + |B| - both)")
    heat.set_title(
        f"Customers reached by both, per {report.by} pair (diagonal: reached)\n{_period(report)}"
    )

    bar_ax = fig.add_subplot(grid[0, 1])
    dot_ax = fig.add_subplot(grid[1, 1], sharex=bar_ax)
    x = np.arange(len(shown))
    sizes = [row["customers"] for row in shown]
    bar_ax.bar(x, sizes, color="#2b6cb0")
    for xi, size in zip(x, sizes, strict=True):
        bar_ax.text(xi, size, f"{size:,}", ha="center", va="bottom", fontsize=8)
    bar_ax.set_ylabel("customers")
    total = len(report.intersections)
    bar_ax.set_title(
        f"Largest exclusive intersections ({len(shown)} of {total}): "
        "customers reached by exactly these units"
    )
    bar_ax.tick_params(axis="x", bottom=False, labelbottom=False)
    bar_ax.spines[["top", "right"]].set_visible(False)

    ids = [u["unit"] for u in report.units]
    for xi, row in zip(x, shown, strict=True):
        members = sorted(ids.index(u) for u in row["units"])
        dot_ax.scatter([xi] * k, range(k), s=40, color="#d0d0d0", zorder=1)
        dot_ax.scatter([xi] * len(members), members, s=40, color="#1a202c", zorder=2)
        if len(members) > 1:
            dot_ax.plot([xi, xi], [members[0], members[-1]], color="#1a202c", lw=2, zorder=2)
    dot_ax.set_yticks(range(k), names)
    dot_ax.set_ylim(k - 0.5, -0.5)
    dot_ax.set_xlim(-0.6, max(len(shown), 1) - 0.4)
    dot_ax.tick_params(axis="x", bottom=False, labelbottom=False)
    for side in ("top", "right", "bottom", "left"):
        dot_ax.spines[side].set_visible(False)

    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _matrices(report: OverlapReport) -> tuple[np.ndarray, np.ndarray]:
    """Pair counts (diagonal: each unit's reach) and Jaccard (diagonal 1 where reach > 0)."""
    index = {u["unit"]: i for i, u in enumerate(report.units)}
    k = len(index)
    counts = np.zeros((k, k), dtype=np.int64)
    jaccard = np.zeros((k, k))
    for unit in report.units:
        i = index[unit["unit"]]
        counts[i, i] = unit["reached"]
        jaccard[i, i] = 1.0 if unit["reached"] else 0.0
    for pair in report.pairs:
        i, j = index[pair["unit_a"]], index[pair["unit_b"]]
        counts[i, j] = counts[j, i] = pair["both"]
        jaccard[i, j] = jaccard[j, i] = pair["jaccard"] or 0.0
    return counts, jaccard


def _period(report: OverlapReport) -> str:
    """The period as people say it: a midnight end is shown as the (inclusive) day before."""
    since, until = report.since, report.until
    if since is None and until is None:
        return "all time"
    start = f"from {since:%Y-%m-%d %H:%M}".removesuffix(" 00:00") if since else "everything"
    if until is None:
        return f"{start} on"
    if until.time() == dt.time():
        return f"{start} to {until - dt.timedelta(days=1):%Y-%m-%d}"
    return f"{start} before {until:%Y-%m-%d %H:%M}"
