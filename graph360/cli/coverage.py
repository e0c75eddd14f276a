"""The ``coverage`` command: which systems feed each journey step, which steps have no data
at all, and how many customers only one system knows (definitions:
graph360/analytics/coverage.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from graph360.cli.base import (
    Format,
    FormatOption,
    PersonaOption,
    SegmentOption,
    StoreOption,
    app,
    console,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
    who,
)


@app.command()
def coverage(
    journey: Annotated[
        str | None, typer.Option("--journey", "-j", help="This journey's steps only")
    ] = None,
    persona: PersonaOption = None,
    segment: SegmentOption = None,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Data coverage: per journey step the source systems its touchpoints come from, the
    steps with no data at all, touchpoints at no step, and the customers known to only one
    system (csv: the steps)."""
    from graph360.analytics.coverage import coverage as find_coverage

    with open_graph(store, read_only=True) as graph, refusals():
        report = find_coverage(graph, journey=journey, persona=persona, segment=segment)
    if format is Format.json:
        print_json(report.to_dict())
        return
    if format is Format.csv:
        print_csv(report.step_rows())
        return
    share = "" if report.share_single_system is None else f" ({report.share_single_system:.0%})"
    console.print(
        f"{report.customers:,} customers · {report.single_system:,}{share} known to one system "
        f"only · {report.unknown:,} to none{who(persona, segment)}",
        highlight=False,
    )
    console.print(
        table(
            "Systems",
            [
                {
                    "system": s.source if s.source is not None else "(none given)",
                    "records": f"{s.records:,}",
                    "customers": f"{s.customers:,}",
                    "known only here": f"{s.only_here:,}",
                    "touchpoints": f"{s.touchpoints:,}",
                }
                for s in report.systems
            ],
        )
    )
    console.print(
        table(
            "Journey steps by system",
            [
                {
                    "journey": s.journey_id,
                    "#": s.position,
                    "step": s.step or s.step_id,
                    "touchpoints": f"{s.touchpoints:,}",
                    "systems": "; ".join(
                        f"{x['source']} {x['touchpoints']:,} ({x['share']:.0%})" for x in s.sources
                    )
                    or "[red]no data[/red]",
                }
                for s in report.steps
            ],
        )
    )
    if report.unplaced:
        console.print(
            "touchpoints at no step: "
            + "; ".join(f"{u['source']} {u['touchpoints']:,}" for u in report.unplaced),
            highlight=False,
        )
