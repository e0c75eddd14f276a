"""The ``feedback`` command: ratings and sentiment after each interaction, per handling
department or per agent, with confidence intervals (definitions: graph360/analytics/feedback.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from graph360.cli.base import (
    Format,
    FormatOption,
    SinceOption,
    StoreOption,
    UntilOption,
    app,
    console,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
)
from graph360.periods import parse_period


class By(StrEnum):
    department = "department"
    agent = "agent"


@app.command()
def feedback(
    by: Annotated[By, typer.Option("--by", help="Group by handling department or agent")] = (
        By.department
    ),
    since: SinceOption = None,
    until: UntilOption = None,
    min_volume: Annotated[
        int, typer.Option("--min-volume", help="Leave out units with fewer touchpoints")
    ] = 1,
    top: Annotated[int, typer.Option("--top", help="How many units, most volume first")] = 50,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Feedback per department or agent: volume, average rating (of its scale) and share poor,
    average sentiment and share negative, each with a 95% interval, and the worst themes."""
    from graph360.analytics.feedback import feedback as find

    with refusals():
        period = parse_period(since, until)
    with open_graph(store, read_only=True) as graph, refusals():
        report = find(
            graph,
            by=by.value,
            since=period.since,
            until=period.until,
            min_volume=min_volume,
            top=top,
        )
    if format is Format.json:
        print_json(report.to_dict())
        return
    if format is Format.csv:
        print_csv(report.rows())
        return

    def interval(value: float | None, ci: list[float] | None, share: bool) -> str:
        if value is None:
            return ""
        shown = f"{value:.0%}" if share else f"{value:+.2f}"
        if ci is None:
            return shown
        low, high = (f"{x:.0%}" if share else f"{x:+.2f}" for x in ci)
        return f"{shown} [{low}, {high}]"

    rows = [
        {
            by.value: u.name or u.unit,
            "volume": f"{u.volume:,}",
            "rating": interval(u.average_rating, u.rating_ci, True),
            "poor": interval(u.share_poor, u.poor_ci, True),
            "sentiment": interval(u.average_sentiment, u.sentiment_ci, False),
            "negative": interval(u.share_negative, u.negative_ci, True),
            "worst themes": "; ".join(t["theme"] for t in u.worst_themes),
        }
        for u in report.units
    ]
    console.print(table(f"Feedback by {by.value} (95% intervals)", rows))
    if report.left_out:
        console.print(f"{report.left_out} with fewer than {min_volume} left out", highlight=False)
