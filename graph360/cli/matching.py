"""Probabilistic matching from the command line: ``match``, ``review`` and ``identities``.

The logic is graph360.matching's; these commands read arguments and print answers.
"""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer

from graph360.cli.base import (
    Format,
    FormatOption,
    Shape,
    ShapeOption,
    StoreOption,
    app,
    console,
    emit,
    open_graph,
    print_json,
    refusals,
)
from graph360.matching import pipeline, reviewing

AutoOption = Annotated[
    float, typer.Option("--auto", help="Pairs at least this probable merge", min=0.0, max=1.0)
]
ReviewOption = Annotated[
    float,
    typer.Option(
        "--review",
        help="Pairs at least this probable (and below --auto) go to the review queue; "
        "below it they are dropped",
        min=0.0,
        max=1.0,
    ),
]


def who() -> str:
    """Who decided, for the merge log and the queue: the command and the operator."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (a container)
        user = "unknown"
    return f"cli:{user}"


def show_match(report: pipeline.MatchReport) -> None:
    """The run in a few lines for people."""
    kind = "incremental (records loaded since the last run)" if report.incremental else "full"
    console.print(
        f"matching, {kind}: {report.new_records:,} records compared"
        + (
            f" against {report.records - report.new_records:,} matched before"
            if report.incremental
            else ""
        )
        + (" (model trained)" if report.trained else "")
    )
    console.print(
        f"  {report.merged_pairs:,} pairs merged {report.merged_customers:,} customers; "
        f"{report.queued:,} pairs queued for review"
        + (
            f"; {report.dropped_never_merge:,} left apart by never-merge"
            if report.dropped_never_merge
            else ""
        )
    )
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    console.print(f"  [dim]{timing}[/dim]")


@app.command()
def match(
    store: StoreOption = None,
    auto: AutoOption = pipeline.DEFAULT_AUTO,
    review: ReviewOption = pipeline.DEFAULT_REVIEW,
    full: Annotated[
        bool, typer.Option(help="Compare every record again, not only those loaded since")
    ] = False,
    retrain: Annotated[
        bool, typer.Option(help="Train the model afresh on the records (implies --full)")
    ] = False,
    format: ShapeOption = Shape.table,
) -> None:
    """Find records of one person that share no identifier (names, birth date, address,
    postcode, city): merge the sure pairs, queue the likely ones for review."""
    with open_graph(store) as graph, refusals():
        report = pipeline.run(
            graph, auto=auto, review=review, full=full or retrain, retrain=retrain, who=who()
        )
    if format is Shape.json:
        print_json(report.to_dict())
    else:
        show_match(report)


review_app = typer.Typer(
    help="The review queue: pairs the matching found likely but not sure.",
    invoke_without_command=True,
)
app.add_typer(review_app, name="review")

_QUEUE_COLUMNS = [
    "pair_id",
    "probability",
    "name_a",
    "name_b",
    "birth_date_a",
    "birth_date_b",
    "postcode_a",
    "postcode_b",
    "customer_a",
    "customer_b",
]


def _queue(store: str | None, status: str, first: int, skip: int, format: Format) -> None:
    with open_graph(store, read_only=True) as graph, refusals():
        rows = reviewing.review_queue(graph, status=status, first=first, skip=skip)
    if format is Format.csv:
        rows = [{**row, "evidence": _weights(row["evidence"])} for row in rows]
    emit(
        rows,
        format,
        f"review queue ({status})",
        None if format is not Format.table else _QUEUE_COLUMNS,
    )


def _weights(evidence: dict[str, Any]) -> str:
    return "; ".join(f"{k} {v:+.1f}" for k, v in evidence.items())


StatusOption = Annotated[str, typer.Option(help="open, accepted or rejected")]
FirstOption = Annotated[int, typer.Option(help="How many pairs to show")]
SkipOption = Annotated[int, typer.Option(help="How many pairs to skip (paging)")]


@review_app.callback()
def _review(
    ctx: typer.Context,
    store: StoreOption = None,
    status: StatusOption = "open",
    first: FirstOption = 50,
    skip: SkipOption = 0,
    format: FormatOption = Format.table,
) -> None:
    """List the queue (the most probable first) when no subcommand is given."""
    if ctx.invoked_subcommand is None:
        _queue(store, status, first, skip, format)


@review_app.command("list")
def review_list(
    store: StoreOption = None,
    status: StatusOption = "open",
    first: FirstOption = 50,
    skip: SkipOption = 0,
    format: FormatOption = Format.table,
) -> None:
    """List the pairs of the queue with this status, the most probable first."""
    _queue(store, status, first, skip, format)


PairArgument = Annotated[str, typer.Argument(help="The pair's id, as `graph360 review` lists it")]


def _decide(store: str | None, pair: str, accept: bool, format: Shape) -> None:
    with open_graph(store) as graph, refusals():
        row = reviewing.decide(graph, pair, accept=accept, who=who())
    if format is Shape.json:
        print_json(row)
    elif accept:
        console.print(f"accepted {pair}: one customer now, {row['customer_id']}")
    else:
        console.print(f"rejected {pair}: the pair will not be proposed again")


@review_app.command("accept")
def review_accept(
    pair: PairArgument, store: StoreOption = None, format: ShapeOption = Shape.table
) -> None:
    """Accept a pair: its two customers become one (logged with the pair's evidence)."""
    _decide(store, pair, True, format)


@review_app.command("reject")
def review_reject(
    pair: PairArgument, store: StoreOption = None, format: ShapeOption = Shape.table
) -> None:
    """Reject a pair: its records stay apart, and the pair is never proposed again."""
    _decide(store, pair, False, format)


@app.command()
def identities(store: StoreOption = None, format: FormatOption = Format.csv) -> None:
    """The identity graph: every source record with its customer, the rule that linked it,
    through which record, and a probabilistic link's probability."""
    with open_graph(store, read_only=True) as graph, refusals():
        frame = reviewing.identities(graph)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    emit(rows, format, "identities")
