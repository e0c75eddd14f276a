"""``graph360 view …``: write an interactive graph view to a self-contained HTML file.

Each subcommand is made from one entry of ``graph360.views.VIEWS`` (the same pages the API
serves at ``/views/…``), its options from the view's own parameters, and renders it from a
store opened read-only; ``graph360 view all DIR`` writes every view that needs no argument,
plus the index page.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from graph360.cli.base import (
    MaskedOption,
    StoreOption,
    app,
    audience,
    errors,
    open_graph,
    refusals,
    write_output,
)
from graph360.privacy import OPERATOR, Audience
from graph360.views import VIEWS, View

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
    with open_graph(store, read_only=True) as graph, refusals():
        html = VIEWS[name].render(graph, audience=who, **params)
    with refusals():
        write_output(output, html)
    errors.print(f"wrote the {name} view to {output} ({len(html) / 1e6:.1f} MB)", highlight=False)


def _command(view: View) -> None:
    """``graph360 view NAME``, made from the view's own parameters: a required one is an
    argument, the others options named after them (``windowHours``: ``--window-hours``), so
    the CLI cannot drift from what the view takes."""

    def run(**given: Any) -> None:
        output, store = given.pop("output"), given.pop("store")
        who = audience(given.pop("masked")) if view.personal else OPERATOR
        chosen = {p.name: given[_python(p.name)] for p in view.params}
        _write(view.name, output, store, who, **{k: v for k, v in chosen.items() if v is not None})

    required = [p for p in view.params if p.required]
    optional = [p for p in view.params if not p.required]
    parameters = [
        _parameter(p.name, Annotated[p.type, typer.Argument(help=p.help, metavar=p.name.upper())])
        for p in required
    ]
    parameters.append(_parameter("output", Output))
    parameters += [
        _parameter(
            p.name,
            Annotated[
                p.type | None,
                typer.Option(*(p.flags or (_flag(p.name),)), help=p.help, show_default=True),
            ],
            p.default,
        )
        for p in optional
    ]
    parameters.append(_parameter("store", StoreOption, None))
    if view.personal:
        parameters.append(_parameter("masked", MaskedOption, False))
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    run.__doc__ = view.description + (
        " Contact details in full unless --masked." if view.personal else ""
    )
    view_app.command(view.name)(run)


def _parameter(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> Any:
    return inspect.Parameter(
        _python(name), inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def _python(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _flag(name: str) -> str:
    return "--" + _python(name).replace("_", "-")


for _view in VIEWS.values():
    _command(_view)


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
    from graph360.views import index_page

    links: dict[str, str] = {}
    with open_graph(store, read_only=True) as graph, refusals():
        journeys = journey_id or sorted(journey_steps(graph)["journey_id"].unique())
        pages = [("overlap", "overlap.html", {}), ("influence", "influence.html", {})]
        pages += [("journey", f"journey-{j}.html", {"journey": j}) for j in journeys]
        for name, file, params in pages:
            write_output(folder / file, VIEWS[name].render(graph, audience=OPERATOR, **params))
            links[f"{name}/{params['journey']}" if params else name] = file
            errors.print(f"wrote {folder / file}", highlight=False)
    with refusals():
        write_output(folder / "index.html", index_page(links))
    errors.print(f"wrote {folder / 'index.html'}", highlight=False)
