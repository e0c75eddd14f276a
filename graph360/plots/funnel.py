"""The journey funnel as a picture: customers per step, with the conversion from the step before."""

from __future__ import annotations

from pathlib import Path

from graph360.analytics.journeys import Funnel
from graph360.periods import Period


def plot_funnel(funnel: Funnel, path: Path | str) -> Path:
    """Draw ``funnel`` as centred horizontal bars (one per step, in position order; the width is
    the customers who reached the step, the colour says whether one department owns it)
    labelled with the count, how many came from the step before (and that share of it, the
    conversion) and how many arrived directly (without it), and write it to ``path``
    (PNG, or any format matplotlib knows by its extension)."""
    import matplotlib.pyplot as plt

    path = Path(path)
    steps = funnel.steps
    widest = max((s.customers for s in steps), default=0) or 1
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.55 * max(len(steps), 1)))
    for i, step in enumerate(steps):
        colour = "#d9534f" if not step.owners else "#f0ad4e" if len(step.owners) > 1 else "#4c72b0"
        ax.barh(i, step.customers, left=(widest - step.customers) / 2, height=0.7, color=colour)
        # The conversion counts only those who came through the step before; customers who
        # arrived directly are said apart, so 517 after a step of 256 does not read as a mistake.
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
    ax.set_yticks(range(len(steps)), [f"{s.position}. {s.step or s.step_id}" for s in steps])
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
