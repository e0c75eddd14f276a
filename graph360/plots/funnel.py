"""The journey funnel as a picture: customers per step, with the conversion from the step before."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph360.analytics.journeys import Funnel

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from graph360.periods import Period


def plot_funnel(funnel: Funnel, path: Path | str) -> Path:
    """Draw ``funnel`` (:func:`funnel_figure`) and write it to ``path`` (PNG, or any format
    matplotlib knows by its extension)."""
    import matplotlib.pyplot as plt

    path = Path(path)
    fig = funnel_figure(funnel)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def funnel_figure(funnel: Funnel) -> Figure:
    """``funnel`` as centred horizontal bars (one per step, in position order; the width is
    the customers who reached the step, the colour says whether one department owns it)
    labelled with the count, how many came from the step before (and that share of it, the
    conversion) and how many arrived directly (without it). The figure is as wide as its
    longest label needs, so no label runs off it (tests/test_outputs_readable.py checks)."""
    import matplotlib.pyplot as plt

    steps = funnel.steps
    widest = max((s.customers for s in steps), default=0) or 1
    labels = [_label(step) for step in steps]
    names = [f"{s.position}. {s.step or s.step_id}" for s in steps]
    # Inches: about 0.075 a character of a 9 pt label, 0.1 of a 10 pt step name.
    width = max(
        9.0, 0.075 * max(map(len, labels), default=0) + 0.1 * max(map(len, names), default=0) + 1
    )
    fig, ax = plt.subplots(figsize=(width, 1.2 + 0.55 * max(len(steps), 1)))
    for i, (step, label) in enumerate(zip(steps, labels, strict=True)):
        colour = "#d9534f" if not step.owners else "#f0ad4e" if len(step.owners) > 1 else "#4c72b0"
        ax.barh(i, step.customers, left=(widest - step.customers) / 2, height=0.7, color=colour)
        ax.text(
            widest / 2,
            i,
            label,
            ha="center",
            va="center",
            fontsize=9,
            color="black",
            bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.5},
        )
    ax.set_yticks(range(len(steps)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, widest)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    window = f", {Period(funnel.since, funnel.until)}" if funnel.since or funnel.until else ""
    ax.set_title(
        f"{funnel.journey or funnel.journey_id}: {funnel.customers:,} customers{window}",
        loc="left",
    )
    ax.set_xlabel(
        "customers who reached each step; arrived directly: without the step before\n"
        "(red: no department owns the step; amber: several do)"
    )
    fig.tight_layout()
    return fig


def _label(step: Any) -> str:
    """The count on a step's bar. The conversion counts only those who came through the step
    before; those who arrived directly are said apart, so 517 after a step of 256 does not read
    as a mistake."""
    label = f"{step.customers:,}"
    if step.conversion is not None and step.without_previous:
        label += (
            f" = {step.from_previous or 0:,} from the step before ({step.conversion:.0%} of it)"
            f" + arrived directly: {step.without_previous:,}"
        )
    elif step.conversion is not None:
        label += f" ({step.conversion:.0%} of the step before)"
    if step.conversion is not None and step.out_of_order:
        label += f"; {step.out_of_order:,} out of order"
    return label
