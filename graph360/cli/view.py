"""``graph360 view …``: write an interactive graph view to a self-contained HTML file.

Each subcommand renders one entry of ``graph360.views.VIEWS`` (the same pages the API serves
at ``/views/…``) from a store opened read-only; ``graph360 view all DIR`` writes every view
that needs no argument, plus the index page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from graph360.cli.base import (
    CustomerRef,
    MaskedOption,
    SinceOption,
    StoreOption,
    UntilOption,
    WindowOption,
    app,
    audience,
    errors,
    open_graph,
    refusals,
)
from graph360.privacy import OPERATOR, Audience

view_app = typer.Typer(
    help="Interactive graph views as self-contained HTML files (they work with no network). "
    "A file is for the eyes of someone who may see what it shows: the customer view shows "
    "contact details in full unless --masked, as an analyst's key sees it at /views/.",
    no_args_is_help=True,
)
app.add_typer(view_app, name="view")

Output = Annotated[
    Path,
    typer.Option("--output", "-o", help="The HTML file to write", dir_okay=False, writable=True),
]


def _write(
    name: str, output: Path, store: str | None, who: Audience = OPERATOR, **params: Any
) -> None:
    """Render the view ``name`` for ``who`` and write it; bad parameters are refused in one
    line."""
    from graph360.views import VIEWS

    with open_graph(store, read_only=True) as graph, refusals():
        html = VIEWS[name].render(graph, audience=who, **params)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    errors.print(f"wrote the {name} view to {output} ({len(html) / 1e6:.1f} MB)", highlight=False)


@view_app.command("customer")
def customer(
    ref: CustomerRef,
    output: Output,
    relationships: Annotated[int, typer.Option(help="Heaviest relationships shown")] = 25,
    touchpoints: Annotated[int, typer.Option(help="Most recent touchpoints shown")] = 20,
    store: StoreOption = None,
    masked: MaskedOption = False,
) -> None:
    """One customer's neighbourhood to two hops, the customer in the centre (contact details
    in full unless --masked)."""
    _write(
        "customer",
        output,
        store,
        audience(masked),
        ref=ref,
        relationships=relationships,
        touchpoints=touchpoints,
    )


@view_app.command("overlap")
def overlap(
    output: Output,
    by: Annotated[str, typer.Option(help="department or division")] = "department",
    since: SinceOption = None,
    until: UntilOption = None,
    window_hours: WindowOption = 48,
    store: StoreOption = None,
) -> None:
    """Departments (or divisions) by audience, joined by shared customers and collisions."""
    _write("overlap", output, store, by=by, since=since, until=until, windowHours=window_hours)


@view_app.command("journey")
def journey(
    journey_id: Annotated[str, typer.Argument(help="The journey's id")],
    output: Output,
    since: SinceOption = None,
    until: UntilOption = None,
    store: StoreOption = None,
) -> None:
    """A journey's steps with their owners; unowned and conflicting steps marked."""
    _write("journey", output, store, journey=journey_id, since=since, until=until)


@view_app.command("influence")
def influence(
    output: Output,
    top: Annotated[int, typer.Option("--top", "-n", help="How many top influencers")] = 25,
    max_nodes: Annotated[int, typer.Option(help="Cap on the people shown")] = 1500,
    max_edges: Annotated[int, typer.Option(help="Cap on the relationships shown")] = 5000,
    store: StoreOption = None,
) -> None:
    """The top influencers and their network: size by PageRank, colour by community."""
    _write("influence", output, store, first=top, maxNodes=max_nodes, maxEdges=max_edges)


@view_app.command("all")
def write_all(
    folder: Annotated[Path, typer.Argument(help="Folder to write the pages into", file_okay=False)],
    journey_id: Annotated[
        list[str] | None,
        typer.Option("--journey", help="Journey to draw, repeatable [default: every journey]"),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Every view that needs no customer (overlap, influence, each journey) and the index."""
    from graph360.analytics.journeys import journey_steps
    from graph360.views import VIEWS, index_page

    folder.mkdir(parents=True, exist_ok=True)
    links: dict[str, str] = {}
    with open_graph(store, read_only=True) as graph, refusals():
        journeys = journey_id or sorted(journey_steps(graph)["journey_id"].unique())
        pages = [("overlap", "overlap.html", {}), ("influence", "influence.html", {})]
        pages += [("journey", f"journey-{j}.html", {"journey": j}) for j in journeys]
        for name, file, params in pages:
            (folder / file).write_text(
                VIEWS[name].render(graph, audience=OPERATOR, **params), encoding="utf-8"
            )
            links[f"{name}/{params['journey']}" if params else name] = file
            errors.print(f"wrote {folder / file}", highlight=False)
    (folder / "index.html").write_text(index_page(links), encoding="utf-8")
    errors.print(f"wrote {folder / 'index.html'}", highlight=False)
