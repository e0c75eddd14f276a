"""``graph360 facts``: the analytics' columnar projection of the graph (graph360.facts)."""

from __future__ import annotations

import time

import typer

from graph360.cli.base import Shape, ShapeOption, StoreOption, app, console, open_graph, table
from graph360.cli.base import print_json as _print_json

facts_app = typer.Typer(help="The facts projection the analytics answer from: rebuild, status.")
app.add_typer(facts_app, name="facts")


@facts_app.command("rebuild")
def rebuild(store: StoreOption = None, format: ShapeOption = Shape.table) -> None:
    """Read the facts projection afresh from the graph and store it beside the database.

    The analytics rebuild it by themselves when the graph's version moved on; this is for a
    graph written by a path that does not bump the version, or to pay the rebuild up front.
    """
    from graph360 import facts
    from graph360.facts.files import facts_dir

    with open_graph(store, read_only=True) as graph:
        started = time.perf_counter()
        projection = facts.refresh(graph)
        seconds = time.perf_counter() - started
        folder = facts_dir(graph)
    _show(projection, str(folder), seconds, format)


@facts_app.command("status")
def status(store: StoreOption = None, format: ShapeOption = Shape.table) -> None:
    """Which graph version the stored projection reflects, against the graph's own."""
    from graph360 import facts
    from graph360.facts.files import facts_dir, load

    with open_graph(store, read_only=True) as graph:
        version, written_at = facts.graph_version(graph)
        folder = facts_dir(graph)
        stored = load(folder)
        fresh = stored is not None and facts.is_current(graph, stored)
    data = {
        "folder": str(folder),
        "graph_version": version,
        "graph_written_at": written_at,
        "projection_version": None if stored is None else stored.version,
        "projected_at": None if stored is None else stored.built_at,
        "current": fresh,
    }
    if format is Shape.json:
        _print_json(data)
        return
    console.print(table("facts projection", [data]))


def _show(projection: object, folder: str, seconds: float, format: Shape) -> None:
    from graph360.facts.tables import Facts

    assert isinstance(projection, Facts)
    rows = [{"table": name, "rows": t.num_rows} for name, t in projection.tables.items()]
    if format is Shape.json:
        _print_json(
            {"folder": folder, "seconds": seconds, "as_of": projection.as_of, "tables": rows}
        )
        return
    console.print(table(f"facts projection in {folder} ({seconds:.1f} s)", rows))
    console.print(f"as of graph version {projection.version}")
