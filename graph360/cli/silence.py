"""The ``silence`` command: what customers are not saying -- public voices nobody answered, and
people going quiet who never complained (the rules: graph360/analytics/silence.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from graph360.cli.base import (
    Format,
    FormatOption,
    MaskedOption,
    StoreOption,
    app,
    audience,
    console,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
)

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]


@app.command()
def silence(
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of", formats=DATE_FORMATS, metavar="<date>", help="Judge as of [default: now]"
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="How many voices and customers to list")] = 20,
    masked: MaskedOption = False,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Unanswered voices (a mention or review with no ticket, reply, resolution, call or chat
    handled by a department within 14 days) and silent churn risk (touchpoints in the last 90
    days at most half their own usual, never a complaint, poor rating or negative word)."""
    from graph360.analytics.silence import silence as find

    with open_graph(store, read_only=True) as graph, refusals():
        report = find(graph, as_of=as_of, top=top).for_audience(audience(masked))
    if format is Format.json:
        print_json(report.to_dict())
        return
    if format is Format.csv:
        rows = [{"signal": "unanswered", **v} for v in report.voices]
        rows += [{"signal": "silent_churn", **q} for q in report.quiet]
        columns = ["signal", "customer_id", "touchpoint_id", "at", "kind", "text"]
        columns += ["recent", "baseline"]
        print_csv([{c: r.get(c) for c in columns} for r in rows])
        return
    console.print(
        f"{report.unanswered:,} of {report.public_voices:,} public voices unanswered "
        f"({report.unanswered_customers:,} customers) · {report.silent_churn:,} customers at "
        "silent churn risk",
        highlight=False,
    )
    console.print(table("Latest unanswered voices", report.voices))
    console.print(table("Going quiet, never complained (biggest falls)", report.quiet))
