"""The ``themes`` command: what people write about, how much, how angrily, where and when."""

from __future__ import annotations

from typing import Annotated

import typer

from graph360.cli.base import (
    Format,
    FormatOption,
    MaskedOption,
    SinceOption,
    StoreOption,
    UntilOption,
    app,
    audience,
    console,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
)
from graph360.periods import parse_period


@app.command()
def themes(
    journey: Annotated[
        str | None, typer.Option("--journey", "-j", help="Texts at this journey's steps only")
    ] = None,
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="Texts this department handled")
    ] = None,
    persona: Annotated[
        str | None, typer.Option("--persona", help="Texts of customers of this persona")
    ] = None,
    segment: Annotated[
        str | None, typer.Option("--segment", help="Texts of customers in this segment")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    top: Annotated[int, typer.Option("--top", help="How many themes (1-30)")] = 8,
    masked: MaskedOption = False,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """The top themes of what customers wrote (tickets, survey comments, mentions, reviews,
    chat messages): each theme's top terms, texts, share negative, trend by month, the
    steps and departments where it occurs, and three examples (definitions:
    graph360/analytics/themes.py)."""
    from graph360.analytics.themes import themes as find_themes

    with refusals():
        period = parse_period(since, until)
    with open_graph(store, read_only=True) as graph, refusals():
        report = find_themes(
            graph,
            journey=journey,
            department=department,
            persona=persona,
            segment=segment,
            since=period.since,
            until=period.until,
            top=top,
        ).for_audience(audience(masked))
    if format is Format.json:
        print_json(report.to_dict())
        return
    if format is Format.csv:
        print_csv(report.rows())
        return
    console.print(
        f"{report.texts:,} texts ({report.distinct_texts:,} distinct) · "
        f"{report.unthemed:,} share no term with any theme",
        highlight=False,
    )
    rows = [
        {
            "theme": t.label,
            "texts": f"{t.volume:,} ({t.share:.0%})",
            "negative": "" if t.share_negative is None else f"{t.share_negative:.0%}",
            "trend": " ".join(f"{m['month']}:{m['texts']}" for m in t.trend[-6:]),
            "where": "; ".join(s["step"] or s["step_id"] for s in t.steps[:3]),
            "handled by": "; ".join(
                d["department"] or d["department_id"] for d in t.departments[:3]
            ),
            "examples": " | ".join(t.examples),
        }
        for t in report.themes
    ]
    console.print(table("Themes", rows))
