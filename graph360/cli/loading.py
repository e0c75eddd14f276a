"""Commands that write: ``load`` a bundle, build the ``demo``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from graph360.cli.base import (
    EXIT_REFUSED,
    EXIT_REJECTS,
    PortOption,
    Shape,
    ShapeOption,
    StoreOption,
    app,
    command,
    console,
    errors,
    open_graph,
    print_json,
    refusals,
    table,
)
from graph360.matching import pipeline
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
    if report.identity_conflicts:
        shown = list(report.identity_conflicts.items())[:5]
        console.print(
            f"[yellow]{len(report.identity_conflicts)} identifiers shared by people whose names "
            "disagree[/yellow], not merged through them (a household, a shared inbox): "
            + "; ".join(
                f"{key} ({' | '.join(', '.join(g) for g in groups)})" for key, groups in shown
            )
            + (" …" if len(report.identity_conflicts) > len(shown) else ""),
            highlight=False,
            markup=True,
        )
    for note in getattr(report, "notes", []):
        console.print(f"note: {note}", highlight=False, markup=False)
    if report.rejected:
        console.print(
            f"[red]{report.rejected} rows rejected[/red]: file, line and reason in "
            f"{report.rejects_path}"
        )


def _match(graph: GraphStore) -> pipeline.MatchReport:
    """``load --match``: the matching with its default thresholds, after the load."""
    from graph360.cli.matching import who

    return pipeline.run(graph, who=who())


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
    match: Annotated[
        bool,
        typer.Option(
            "--match",
            help="Then run probabilistic matching (graph360 match) over the records loaded",
        ),
    ] = False,
    format: ShapeOption = Shape.table,
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
        matched = _match(graph) if match else None
    if format is Shape.json:
        print_json({**report.to_dict(), **({"matching": matched.to_dict()} if matched else {})})
    else:
        _show_report(report)
        if matched:
            from graph360.cli.matching import show_match

            show_match(matched)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTS)


@app.command()
def demo(
    customers: Annotated[
        int, typer.Option(min=50, help="How many people the demo invents (50 or more)")
    ] = 2000,
    folder: Annotated[Path, typer.Option("--dir", help="Where the demo exports go")] = Path(
        "graph360-demo"
    ),
    store: StoreOption = None,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = 360,
    fresh: Annotated[bool, typer.Option(help="Start from an empty database")] = False,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Stop after loading instead of serving the API")
    ] = False,
    port: PortOption = 8000,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Also write the demo's API key to this file (mode 600)", dir_okay=False),
    ] = None,
) -> None:
    """Generate a realistic data set from several source systems, load it, and serve the API
    on 127.0.0.1 with a fresh admin key (printed on a line of its own)."""
    from graph360.demo import generate_demo

    if key_file is not None and no_serve:
        # The key is made for the server; with --no-serve there is none to write.
        raise typer.BadParameter(
            "writes the key of the served demo: with --no-serve no key is made "
            f"(make one with `{command()} keys create`)",
            param_hint="'--key-file'",
        )
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
            f"[bold]{report.rejects_path or 'none'}[/bold].",
            title="graph360 demo",
        )
    )
    # Commands outside the panel, so a narrow terminal never cuts them, with the program's
    # name as this terminal can run it (the README's install does not put it on PATH).
    me = command()
    console.print("Try next:", highlight=False)
    for line in [
        *(f"{me} customer {ref}" for ref in sample["ref"]),
        f"{me} audit      (which journey steps nobody owns)",
        f"{me} overlap    (departments hitting the same people)",
        f"{me} funnel online_purchase",
        f"{me} --help     (everything else)",
    ]:
        console.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
    if not no_serve:
        _serve_demo(location, port, key_file)


def _serve_demo(location: str, port: int, key_file: Path | None) -> None:
    from graph360.api.settings import ApiSettings
    from graph360.cli.serve import demo_key, run_api

    with refusals():
        key = demo_key(None)
        if key_file is not None:
            write_secret(key_file, key)
    url = f"http://127.0.0.1:{port}/graphql"
    bearer = f"$(cat {key_file})" if key_file else key
    # A secret is printed on a line of its own, never inside a table or panel: a narrow
    # terminal, or output sent to a file, would cut it.
    for line in [
        f"GraphiQL: {url} (put the key in its Headers tab)",
        "API key (admin, for this demo), on the next line:",
        key,
        *([f"(also written to {key_file})"] if key_file else []),
        "Try it:",
        f'curl -s {url} -H "Authorization: Bearer {bearer}" '
        """-H 'Content-Type: application/json' """
        """-d '{"query": "{ influencers(first: 3) { name score rank } }"}'""",
    ]:
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    run_api(ApiSettings(store=location, introspection=True), "127.0.0.1", port)


def write_secret(path: Path, secret: str) -> None:
    """``secret`` into ``path``, readable by its owner only (a new file, never through a
    symlink that was there)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret + "\n")


def _analyse(graph: GraphStore) -> None:
    """Compute what the 360 card reads (scores, flags, routed actions) right after a load."""
    from graph360.analytics.influence.scores import influence
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
