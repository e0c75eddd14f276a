"""The ``funnel`` command: where a journey breaks down, step by step, and the paths people take."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from graph360.cli.audit import mood_cells
from graph360.cli.base import (
    Format,
    FormatOption,
    PersonaOption,
    SegmentOption,
    SinceOption,
    StoreOption,
    UntilOption,
    app,
    console,
    errors,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
    who,
)
from graph360.periods import parse_period


@app.command()
def funnel(
    journey: Annotated[str, typer.Argument(help="Journey id (see `graph360 audit`)")],
    since: SinceOption = None,
    until: UntilOption = None,
    paths: Annotated[int, typer.Option("--paths", help="How many common paths to show")] = 10,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Draw the funnel to this file (PNG)")
    ] = None,
    persona: PersonaOption = None,
    segment: SegmentOption = None,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """The funnel of one journey: customers per step, conversion from the step before (skipped:
    reached it without the step before; reversed: reached it before the step before), median
    time from the step before, drop-off (customers whose furthest step it is), the mood at the
    step (average rating of its scale, share negative, top theme: graph360/analytics/mood.py),
    and the most common actual paths (csv: the steps only); --persona / --segment: those
    customers only."""
    from graph360.analytics.journeys import journey_funnel

    with refusals():
        period = parse_period(since, until)
    with open_graph(store, read_only=True) as graph, refusals():
        result = journey_funnel(
            graph,
            journey,
            since=period.since,
            until=period.until,
            paths=paths,
            persona=persona,
            segment=segment,
        )
    if plot is not None:
        from graph360.plots.funnel import plot_funnel

        plot_funnel(result, plot)
        errors.print(f"wrote {plot}", highlight=False)
    if format is Format.json:
        print_json(result.to_dict())
        return
    if format is Format.csv:
        print_csv(result.step_rows())
        return
    window = ""
    if since or until:
        window = f" · touchpoints {period}"
    window += who(persona, segment)
    console.print(
        f"[bold]{result.journey or result.journey_id}[/bold] ({result.journey_id}) · "
        f"{result.customers:,} customers · {result.out_of_order_customers:,} took steps out of "
        f"order · {result.distinct_paths:,} distinct paths{window}",
        highlight=False,
    )
    console.print(_steps(result.steps))
    console.print(_mood(result.steps))
    if result.paths:
        console.print(
            table(
                f"Most common paths (of {result.distinct_paths:,})",
                [
                    {
                        "customers": f"{p.customers:,}",
                        "share": _share(p.share),
                        "path": " > ".join(p.steps),
                        "flags": ", ".join(
                            f
                            for f, on in (("OUT OF ORDER", not p.in_order), ("skips", p.skips))
                            if on
                        ),
                    }
                    for p in result.paths
                ],
            )
        )


#: The step names' column: long names wrap inside it, so the table fits 80 columns.
STEP_WIDTH = 18


def _compact(title: str) -> Table:
    """A table without vertical rules (room for the figures in 80 columns)."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)


def _steps(steps: list[Any]) -> Table:
    """Customers per step and where they came from: from the step before (and that as a share
    of it: the conversion) or arrived directly (skipped the step before), so a step bigger than
    the one before reads as what it is; then how many stopped there and the median time."""
    out = _compact("Funnel: where each step's customers came from")
    for name, justify in FUNNEL_COLUMNS:
        out.add_column(name, justify=justify, **_width(name))
    for s in steps:
        first = s.position == steps[0].position
        out.add_row(
            str(s.position),
            s.step or s.step_id,
            f"{s.customers:,}",
            "" if first else f"{s.from_previous or 0:,} ({_share(s.conversion, 0)})",
            "" if first else _count(s.without_previous),
            f"{s.drop_off:,} ({_share(s.drop_off_rate, 0)})",
            _duration(s.median_seconds),
        )
    return out


FUNNEL_COLUMNS = [
    ("#", "right"),
    ("step", "left"),
    ("customers", "right"),
    ("from before", "right"),
    ("arrived directly", "right"),
    ("stopped", "right"),
    ("median wait", "right"),
]


def _width(name: str) -> dict[str, Any]:
    """Step names and themes get a column of their own width (they wrap inside it)."""
    if name in ("step", "top theme"):
        return {"min_width": 12, "max_width": STEP_WIDTH, "overflow": "fold"}
    return {"overflow": "fold"} if name == "owners" else {}


def _mood(steps: list[Any]) -> Table:
    """Who owns each step, how many came to it out of order, and the mood there."""
    out = _compact("Owners and mood")
    for name in ("#", "step", "owners", "reversed", "rating", "negative", "top theme"):
        out.add_column(name, **_width(name))
    for s in steps:
        out.add_row(
            str(s.position),
            s.step or s.step_id,
            ", ".join(s.owners) or "[red]nobody[/red]",
            _count(s.before_previous),
            *mood_cells(s.mood),
        )
    return out


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _share(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}%}"


def _duration(seconds: float | None) -> str:
    """A median time people can read: seconds, minutes, hours or days."""
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
