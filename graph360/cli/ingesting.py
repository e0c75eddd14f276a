"""``graph360 ingest``: touchpoint events as NDJSON from a file (``--follow`` it) or stdin."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from graph360.cli.base import (
    EXIT_REJECTS,
    Shape,
    ShapeOption,
    StoreOption,
    app,
    console,
    errors,
    open_graph,
    print_json,
    refusals,
    table,
)


@app.command()
def ingest(
    source: Annotated[
        str, typer.Argument(help="An NDJSON file of touchpoint events, or - for stdin")
    ],
    store: StoreOption = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-F", help="Keep reading the file as it grows (until Ctrl-C), like tail -F"
        ),
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Most events in one transaction")] = 1_000,
    batch_seconds: Annotated[
        float, typer.Option(min=0.0, help="Longest an event read waits for its batch")
    ] = 0.5,
    max_shared: Annotated[
        int, typer.Option(help="An identifier on more records than this is a placeholder")
    ] = 8,
    region: Annotated[str, typer.Option(help="Region for phone numbers with no country")] = "GB",
    route: Annotated[
        bool, typer.Option(help="Run the routing rules for customers whose events call for it")
    ] = True,
    format: ShapeOption = Shape.table,
) -> None:
    """Record touchpoint events, one JSON object a line (touchpoints.csv columns, a customers.csv
    row under "customer"), through the loader's rules, in batches: each rejected line on stderr
    with its number and reason, a summary at the end of the input or on Ctrl-C. An event sent
    again is recorded once (by touchpoint_id), so a file can be ingested again safely."""
    from graph360.analytics.routing import route_now
    from graph360.ingest.follow import LineReject, ingest_lines, lines_of

    if source != "-" and not follow and not Path(source).is_file():
        errors.print(f"[red]error:[/red] {source}: no such file", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    stop = threading.Event()

    def on_reject(reject: LineReject) -> None:
        tid = f" ({reject.touchpoint_id})" if reject.touchpoint_id else ""
        errors.print(
            f"line {reject.line}{tid}: rejected: {'; '.join(reject.reasons)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    previous = _stop_on_signals(stop)
    try:
        with open_graph(store) as graph, refusals():
            summary = ingest_lines(
                graph,
                lambda halt: lines_of(source, follow=follow, stop=halt),
                batch_size=batch_size,
                batch_seconds=batch_seconds,
                stop=stop,
                on_reject=on_reject,
                router=route_now if route else None,
                max_shared=max_shared,
                default_region=region,
            )
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if format is Shape.json:
        print_json(summary.to_dict() | {"stopped": stop.is_set()})
    else:
        console.print(table(f"Ingested {source}", [summary.to_dict()]))
    if summary.rejected:
        raise typer.Exit(EXIT_REJECTS)


def _stop_on_signals(stop: threading.Event) -> dict[int, object]:
    """Ctrl-C and SIGTERM ask the ingest to stop after its batch (never mid-transaction);
    the handlers they replace, to put back."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        previous[number] = signal.signal(number, lambda *_: stop.set())
    return previous


@app.command("index-identifiers")
def index_identifiers(store: StoreOption = None) -> None:
    """Build the e-mail/phone index of every source record already in the graph: once, for a
    graph loaded before the index existed (loads and events keep it up to date after that).
    Safe to run again."""
    from graph360.ingest.identifiers import index_stored_records

    with open_graph(store) as graph, refusals():
        count = index_stored_records(graph)
    console.print(f"indexed {count:,} identifiers")
