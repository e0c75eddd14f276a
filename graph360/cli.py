"""The ``graph360`` command: tables for people, ``--format json|csv`` for machines.

Exit codes: 0 done; 1 graph360 refused (bad bundle, unknown customer, store locked…), with a
one-line message on stderr; 2 the command line was wrong; 3 a load finished but rejected rows
(see the reject file).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph360.errors import Graph360Error
from graph360.store import GraphStore, open_store, resolve_location

EXIT_REFUSED, EXIT_REJECTS = 1, 3

app = typer.Typer(
    help="graph360: one property graph of every customer, from every system that knows them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Database path, or a neo4j:// or bolt:// URI "
        "[env: GRAPH360_STORE; default ./graph360.lbug]",
        show_default=False,
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format")]


@contextmanager
def _refusals() -> Iterator[None]:
    """A graph360 error becomes one line on stderr and exit code 1, never a traceback."""
    try:
        yield
    except Graph360Error as error:
        errors.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_REFUSED) from None


@contextmanager
def _store(location: str | None, *, read_only: bool = False) -> Iterator[GraphStore]:
    with _refusals():
        store = open_store(location, read_only=read_only)
        try:
            yield store
        finally:
            store.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=_jsonable, indent=2) + "\n")


def _print_csv(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: _jsonable(v) if isinstance(v, dt.datetime) else v for k, v in row.items()}
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M") if value.time() != dt.time() else f"{value:%Y-%m-%d}"
        )
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list):
        return ", ".join(map(_text, value))
    return str(value)


def _table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Table:
    columns = columns or (list(rows[0]) if rows else [])
    table = Table(title=title, title_justify="left", expand=False)
    for name in columns:
        table.add_column(name.replace("_", " "))
    for row in rows:
        table.add_row(*(_text(row.get(name)) for name in columns))
    return table


# --- loading ---------------------------------------------------------------------------------


def _load(store: GraphStore, bundle: Path, rejects: Path | None, max_shared: int, region: str):
    from graph360.ingest.load import STEPS, load_bundle

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("loading", total=len(STEPS))
        done: list[str] = []

        def step(name: str) -> None:
            if done:
                progress.advance(task)
            done.append(name)
            progress.update(task, description=name)

        report = load_bundle(
            store,
            bundle,
            rejects_path=rejects,
            max_shared=max_shared,
            default_region=region,
            progress=step,
        )
        progress.update(task, completed=len(STEPS))
    return report


def _show_report(report: Any) -> None:
    rows = [
        {"file": f"{name}", "read": f.rows_read, "loaded": f.loaded, "rejected": f.rejected}
        for name, f in report.files.items()
    ]
    console.print(_table(f"Loaded {report.bundle} into {report.store}", rows))
    console.print(
        f"customers created: [bold]{report.customers_created}[/bold]   "
        f"records linked to another record: [bold]{report.records_linked}[/bold]   "
        f"existing customers merged: [bold]{report.customers_merged}[/bold]   "
        f"time: {report.seconds:.1f} s"
    )
    if report.identifiers_blocked:
        blocked = ", ".join(f"{k} ({n} records)" for k, n in report.identifiers_blocked.items())
        console.print(
            f"[yellow]blocked placeholder identifiers[/yellow] (merged nobody): {blocked}"
        )
    if report.rejected:
        console.print(
            f"[red]{report.rejected} rows rejected[/red]: file, line and reason in "
            f"{report.rejects_path}"
        )


@app.command()
def load(
    bundle: Annotated[
        Path,
        typer.Argument(
            help="Bundle folder: canonical CSV/Parquet files, or exports listed in bundle.toml"
        ),
    ],
    store: StoreOption = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Where rejected rows go [default: ./graph360-rejects.csv]")
    ] = None,
    max_shared: Annotated[
        int, typer.Option(help="An identifier on more records than this is a placeholder")
    ] = 8,
    region: Annotated[str, typer.Option(help="Region for phone numbers with no country")] = "GB",
    format: FormatOption = Format.table,
) -> None:
    """Load a bundle: validate every row, resolve identities, upsert in bulk."""
    with _store(store) as graph, _refusals():
        report = _load(graph, bundle, rejects, max_shared, region)
    if format is Format.json:
        _print_json(report.to_dict())
    else:
        _show_report(report)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTS)


@app.command()
def demo(
    customers: Annotated[int, typer.Option(help="How many people the demo invents")] = 2000,
    folder: Annotated[Path, typer.Option("--dir", help="Where the demo exports go")] = Path(
        "graph360-demo"
    ),
    store: StoreOption = None,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = 360,
    fresh: Annotated[bool, typer.Option(help="Start from an empty database")] = False,
    no_serve: Annotated[
        bool,
        typer.Option("--no-serve", help="Stop after loading (always, until the API exists)"),
    ] = False,
) -> None:
    """Generate a realistic data set from several source systems and load it."""
    from graph360.demo import generate_demo

    location = resolve_location(store)
    if fresh:
        _remove_database(location)
    errors.print(f"generating {customers:,} customers' worth of exports in {folder}/ …")
    with _refusals():
        bundle = generate_demo(folder, customers=customers, seed=seed)
    with _store(location) as graph, _refusals():
        report = _load(graph, bundle, folder / "rejects.csv", 8, "GB")
        counts = graph.counts()
        sample = graph.frame("demo_sample_customers", limit=3)
    _show_report(report)
    console.print(
        Panel.fit(
            f"The graph is in [bold]{location}[/bold]: "
            f"{sum(counts['nodes'].values()):,} nodes, "
            f"{sum(counts['relationships'].values()):,} relationships.\n"
            f"The source exports and their mappings are in [bold]{folder}/[/bold]; the rows the "
            "loader refused (planted on purpose) are in "
            f"[bold]{report.rejects_path or 'none'}[/bold].\n\nTry next:\n"
            + "".join(f"  graph360 customer {ref}\n" for ref in sample["ref"])
            + "  graph360 stats\n  graph360 customer --help",
            title="graph360 demo",
        )
    )


def _remove_database(location: str) -> None:
    path = Path(location)
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.is_dir():
            shutil.rmtree(candidate)
        elif candidate.exists():
            candidate.unlink()


# --- reading ---------------------------------------------------------------------------------


@app.command()
def stats(store: StoreOption = None, format: FormatOption = Format.table) -> None:
    """Count nodes per label and relationships per type."""
    with _store(store, read_only=True) as graph, _refusals():
        counts = graph.counts()
    if format is Format.json:
        _print_json(counts)
        return
    rows = [{"kind": "node", "name": k, "count": v} for k, v in counts["nodes"].items()]
    rows += [
        {"kind": "relationship", "name": k, "count": v} for k, v in counts["relationships"].items()
    ]
    if format is Format.csv:
        _print_csv(rows)
    else:
        console.print(_table("graph360", rows))


@app.command()
def customer(
    ref: Annotated[str, typer.Argument(help="Customer id, source:source_id, or e-mail")],
    store: StoreOption = None,
    touchpoints: Annotated[int, typer.Option(help="How many recent touchpoints to show")] = 10,
    format: FormatOption = Format.table,
) -> None:
    """Print the 360 card of one customer."""
    from graph360.analytics.card import customer_card

    with _store(store, read_only=True) as graph, _refusals():
        card = customer_card(graph, ref, touchpoints=touchpoints)
    if format is Format.table:
        _show_card(card)
    else:
        _print_json(card)


def _show_card(card: dict[str, Any]) -> None:
    who = card["identity"]
    place = ", ".join(v for v in who["location"].values() if v)
    head = [
        f"[bold]{who['name'] or '(no name)'}[/bold]  {card['customer_id']}",
        " · ".join(
            _text(v)
            for v in (
                f"{who['age']} years" if who["age"] is not None else None,
                who["gender"],
                place,
                who["email"],
                who["phone"],
            )
            if v
        ),
        " · ".join(
            f"{k}: {v}"
            for k, v in (
                ("segment", who["segment"]),
                ("persona", who["persona"]),
                ("stage", who["lifecycle_stage"]),
                ("since", _text(who["customer_since"])),
            )
            if v
        ),
    ]
    value, influence, activity = card["value"], card["influence"], card["activity"]
    head.append(
        f"value: current {_text(value['current']) or 'not computed'} · "
        f"potential {_text(value['potential']) or 'not computed'} · "
        f"purchases 12 months {_text(value['purchases_last_12_months'])} · "
        f"accounts {_text(value['accounts_value'])}"
    )
    if influence["pagerank"] is not None:
        head.append(
            f"influence: rank {influence['influence_rank']} · reach {influence['reach']} · "
            f"community {influence['community']}"
        )
    head.append(
        f"activity: {activity['touchpoints']} touchpoints, {activity['last_12_months']} in the "
        f"last 12 months, last {_text(activity['last_at']) or 'never'}"
    )
    flags = [f for f in card["flags"] if f["status"] != "resolved"]
    if flags:
        head.append(
            "flags: " + ", ".join(f"[{f['severity']}]{f['kind']}[/]: {f['reason']}" for f in flags)
        )
    console.print(Panel("\n".join(head), title="360", title_align="left"))
    sections: list[tuple[str, list[dict[str, Any]], list[str]]] = [
        (
            "Identity: source records",
            who["records"],
            ["record_key", "name", "email", "phone", "rule", "via"],
        ),
        (
            "Accounts",
            card["accounts"],
            ["account_id", "name", "plan", "status", "value", "role", "department"],
        ),
        (
            "Relationships",
            card["relationships"],
            ["direction", "kind", "name", "customer_id", "weight"],
        ),
        ("Journeys (current step)", card["journeys"], ["journey", "step", "at", "owners"]),
        (
            "Recent touchpoints",
            card["recent_touchpoints"],
            [
                "at",
                "channel",
                "kind",
                "campaign",
                "step",
                "department",
                "value",
                "rating",
                "outcome",
                "text",
            ],
        ),
        ("Campaigns", card["campaigns"], ["name", "channel", "department", "added_at"]),
        ("Actions", card["actions"], ["status", "kind", "reason", "department", "due_at"]),
    ]
    for journey in card["journeys"]:
        journey["owners"] = journey["owners"] or ["[red]nobody: unowned step[/red]"]
    for title, rows, columns in sections:
        if rows:
            console.print(_table(title, rows, columns))


if __name__ == "__main__":
    app()
