"""The ``channels`` command: multichannel journeys -- who crosses channels on a journey, in
which order, and whether they convert better (definitions: graph360/analytics/channels.py)."""

from __future__ import annotations

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


@app.command()
def channels(
    journey: Annotated[str, typer.Argument(help="Journey id (see `graph360 audit`)")],
    goal: Annotated[
        str | None,
        typer.Option("--goal", help="The step that counts as converting [default: the last]"),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    top: Annotated[int, typer.Option("--top", help="How many channel sequences")] = 10,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Multichannel journeys: the share of customers on two or more channels, the most common
    channel sequences, and conversion single- against multichannel with a significance test
    (csv: the sequences)."""
    from graph360.analytics.channels import multichannel

    with refusals():
        period = parse_period(since, until)
    with open_graph(store, read_only=True) as graph, refusals():
        report = multichannel(
            graph, journey, goal=goal, since=period.since, until=period.until, top=top
        )
    rows = [
        {
            "sequence": " > ".join(s["sequence"]) + (" > …" if s["truncated"] else ""),
            "customers": s["customers"],
            "share": s["share"],
            "converted": s["converted"],
        }
        for s in report.sequences
    ]
    if format is Format.json:
        print_json(report.to_dict())
        return
    if format is Format.csv:
        print_csv(rows)
        return
    share = "" if report.share_multichannel is None else f" ({report.share_multichannel:.0%})"
    console.print(
        f"{report.customers:,} customers on {journey} · {report.multichannel:,} on two or more "
        f"channels{share} · goal {', '.join(report.goal)}",
        highlight=False,
    )
    if report.p_value is not None:
        console.print(
            f"converted: single-channel {report.single_rate:.1%} of {report.single_customers:,}, "
            f"multichannel {report.multi_rate:.1%} of {report.multi_customers:,} "
            f"({report.test}, p = {report.p_value:.3g})",
            highlight=False,
        )
    console.print(table("Most common channel sequences", rows))
