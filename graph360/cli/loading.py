"""Commands that write: ``load`` a bundle, build the ``demo``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from graph360.cli.base import (
    EXIT_REFUSED,
    EXIT_REJECTS,
    Format,
    FormatOption,
    StoreOption,
    app,
    console,
    errors,
    open_graph,
    print_json,
    refusals,
    table,
)
from graph360.store import GraphStore, resolve_location

# --- loading ---------------------------------------------------------------------------------


def _load(
    store: GraphStore,
    bundle: Path,
    rejects: Path | None,
    max_shared: int,
    region: str,
    recheck: bool = False,
    allow_outside: bool = False,
):
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
            recheck=recheck,
            allow_outside=allow_outside,
            progress=step,
        )
        progress.update(task, completed=len(STEPS))
    return report


def _rate(report: Any) -> str:
    rows = sum(f.rows_read for name, f in report.files.items() if name != "Customer")
    return f"{rows / report.seconds:,.0f} rows/s" if report.seconds else f"{rows:,} rows"


def _show_report(report: Any) -> None:
    rows = [
        {
            "file": f"{name}",
            "read": f.rows_read,
            "new": f.new,
            "changed": f.changed,
            "unchanged": f.unchanged,
            "rejected": f.rejected,
        }
        for name, f in report.files.items()
    ]
    console.print(table(f"Loaded {report.bundle} into {report.store}", rows))
    if report.unchanged_bundle:
        console.print(
            "The bundle is the one the last load brought into this graph, and nothing has "
            "written since: nothing to compare (--recheck compares every row)."
        )
    console.print(
        f"customers created: [bold]{report.customers_created}[/bold]   "
        f"records linked to another record: [bold]{report.records_linked}[/bold]   "
        f"existing customers merged: [bold]{report.customers_merged}[/bold]   "
        f"time: {report.seconds:.1f} s ({_rate(report)})"
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
    recheck: Annotated[
        bool, typer.Option(help="Compare every row even when the bundle is the last one loaded")
    ] = False,
    allow_outside: Annotated[
        bool,
        typer.Option(
            help="Let bundle.toml (and symlinks) read exports and mappings outside the bundle "
            "folder"
        ),
    ] = False,
    format: FormatOption = Format.table,
) -> None:
    """Load a bundle: validate every row, resolve identities, upsert in bulk."""
    if not bundle.is_dir():  # before the store's lock, so the real problem is the one named
        errors.print(
            f"[red]error:[/red] {bundle}: no such folder (a bundle is a folder of CSV or "
            "Parquet files, or of exports listed in bundle.toml)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_REFUSED)
    with open_graph(store) as graph, refusals():
        report = _load(graph, bundle, rejects, max_shared, region, recheck, allow_outside)
    if format is Format.json:
        print_json(report.to_dict())
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
        bool, typer.Option("--no-serve", help="Stop after loading instead of serving the API")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for the API")] = 8000,
) -> None:
    """Generate a realistic data set from several source systems, load it, and serve the API
    on 127.0.0.1 with a fresh admin key (printed)."""
    from graph360.demo import generate_demo

    location = resolve_location(store)
    if fresh:
        _remove_database(location)
    errors.print(f"generating {customers:,} customers' worth of exports in {folder}/ …")
    with refusals():
        bundle = generate_demo(folder, customers=customers, seed=seed)
    with open_graph(location) as graph, refusals():
        report = _load(graph, bundle, folder / "rejects.csv", 8, "GB")
        _show_report(report)
        _analyse(graph)
        counts = graph.counts()
        sample = graph.frame("demo_sample_customers", limit=3)
    console.print(
        Panel.fit(
            f"The graph is in [bold]{location}[/bold]: "
            f"{sum(counts['nodes'].values()):,} nodes, "
            f"{sum(counts['relationships'].values()):,} relationships.\n"
            f"The source exports and their mappings are in [bold]{folder}/[/bold]; the rows the "
            "loader refused (planted on purpose) are in "
            f"[bold]{report.rejects_path or 'none'}[/bold].\n\nTry next:\n"
            + "".join(f"  graph360 customer {ref}\n" for ref in sample["ref"])
            + "  graph360 audit            which journey steps nobody owns\n"
            + "  graph360 overlap          departments hitting the same people\n"
            + "  graph360 funnel online_purchase\n"
            + "  graph360 --help           everything else",
            title="graph360 demo",
        )
    )
    if not no_serve:
        _serve_demo(location, port)


def _serve_demo(location: str, port: int) -> None:
    from graph360.api.app import ApiSettings
    from graph360.cli.serve import demo_key, run_api

    with refusals():
        key = demo_key(None)
    url = f"http://127.0.0.1:{port}/graphql"
    console.print(
        Panel.fit(
            f"GraphiQL: [bold]{url}[/bold] (put the key in its Headers tab)\n"
            f"API key (admin, for this demo): [bold]{key}[/bold]\n\n"
            f"curl -s {url} -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json'"
            """ -d '{"query": "{ influencers(first: 3) { name score rank } }"}'""",
            title="graph360 API",
        ),
        soft_wrap=True,
    )
    run_api(ApiSettings(store=location, introspection=True), "127.0.0.1", port)


def _analyse(graph: GraphStore) -> None:
    """Compute what the 360 card reads (scores, flags, routed actions) right after a load."""
    from graph360.analytics.influence import influence
    from graph360.analytics.routing import run_rules
    from graph360.analytics.value import update_values

    result, _ = influence(graph, top=1)
    values = update_values(graph)
    rules = run_rules(graph)
    open_flags = sum(n["raised"] + n["kept"] for n in rules.flags.values())
    errors.print(
        f"ranked the influence of {result.customers:,} customers; "
        f"scored the value of {values.customers:,}; {open_flags:,} open flags; "
        f"{rules.actions_created + rules.actions_existing:,} poor ratings routed to their owners"
    )


def _remove_database(location: str) -> None:
    path = Path(location)
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.is_dir():
            shutil.rmtree(candidate)
        elif candidate.exists():
            candidate.unlink()
