"""The ``funnel`` command: where a journey breaks down, step by step, and the paths people take."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    rows = [
        {
            "#": s.position,
            "step": s.step or s.step_id,
            "owners": ", ".join(s.owners) or "[red]nobody[/red]",
            "customers": f"{s.customers:,}",
            "conversion": _share(s.conversion),
            "skipped": _count(s.without_previous),
            "reversed": _count(s.before_previous),
            "median time": _duration(s.median_seconds),
            "drop-off": f"{s.drop_off:,} ({_share(s.drop_off_rate)})",
            **dict(zip(("rating", "negative", "theme"), mood_cells(s.mood), strict=True)),
        }
        for s in result.steps
    ]
    console.print(table("Funnel", rows))
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


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


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
