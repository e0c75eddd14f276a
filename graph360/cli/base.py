"""What every ``graph360`` command shares: the app, output formats, errors, opening the store.

Exit codes are listed in ``graph360.cli``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
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
from rich.table import Table

from graph360 import display
from graph360.display import jsonable, text
from graph360.errors import Graph360Error, InvalidRequestError
from graph360.privacy import MASKED, OPERATOR, Audience
from graph360.store import GraphStore, open_store

EXIT_REFUSED, EXIT_REJECTS, EXIT_FOUND = 1, 3, 4

app = typer.Typer(
    help="graph360: one property graph of every customer, from every system that knows them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


@app.callback()
def _settings(
    timezone: Annotated[
        str | None,
        typer.Option(
            envvar="GRAPH360_TIMEZONE",
            help="Show times on this zone's clock, e.g. Europe/London (UTC when not given); "
            "JSON and CSV stay in UTC",
        ),
    ] = None,
) -> None:
    """Options for every command."""
    with refusals():
        display.use_timezone(timezone)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Shape(StrEnum):
    """The formats of a command whose answer is nested (a card, a report): no CSV, so
    ``--format csv`` is refused as an invalid choice rather than answered in JSON."""

    table = "table"
    json = "json"


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Database path, or a neo4j:// or bolt:// URI "
        "[env: GRAPH360_STORE; default ./graph360.lbug]",
        show_default=False,
    ),
]
CustomerRef = Annotated[str, typer.Argument(help="Customer id, source:source_id, or e-mail")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format")]
ShapeOption = Annotated[Shape, typer.Option("--format", "-f", help="Output format")]
#: A period, as graph360.periods reads it on every surface.
SinceOption = Annotated[
    str | None,
    typer.Option(metavar="DATE|TIME", help="Period start, inclusive: 2026-01-01 or an ISO time"),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        metavar="DATE|TIME",
        help="Period end: a date includes that whole day, an ISO time is exclusive",
    ),
]
WindowOption = Annotated[
    float,
    typer.Option(help="Contacts from two units at most this many hours apart collide"),
]
MaskedOption = Annotated[
    bool,
    typer.Option(
        "--masked",
        help="Mask e-mail addresses and phone numbers everywhere, as an analyst's API key "
        "sees them: for output you will pass to someone who may not see contact details",
    ),
]

#: One persona or segment at a time (graph360.facts.people).
PersonaOption = Annotated[
    str | None, typer.Option("--persona", help="Customers of this persona only")
]
SegmentOption = Annotated[
    str | None, typer.Option("--segment", help="Customers in this segment only")
]
#: A TCP port: typer refuses 0 or 65,536 and above in one line, before anything starts.
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="Port for the API")]


def who(persona: str | None, segment: str | None) -> str:
    """The headline's mention of the chosen customers (empty when every customer is in)."""
    chosen = [f"{k} {v}" for k, v in (("persona", persona), ("segment", segment)) if v]
    return " · " + ", ".join(chosen) if chosen else ""


def command() -> str:
    """How to run graph360 again from this terminal: ``graph360`` when that is on PATH and is
    this very program, else the path this one was started by (``.venv/bin/graph360`` after the
    README's install), else ``python -m graph360``."""
    started = Path(sys.argv[0])
    on_path = shutil.which("graph360")
    if on_path and started.exists() and Path(on_path).resolve() == started.resolve():
        return "graph360"
    if started.name == "graph360" and started.exists():
        return str(started) if started.is_absolute() or "/" in sys.argv[0] else f"./{started}"
    return f"{sys.executable} -m graph360.cli"


def audience(masked: bool) -> Audience:
    """Whose eyes the output is for: the operator at this machine (who can open the database
    itself, so sees everything), or, with ``--masked``, someone without ``pii:read``."""
    return MASKED if masked else OPERATOR


@contextmanager
def refusals() -> Iterator[None]:
    """A graph360 error becomes one line on stderr and the exit code its class carries (1, or
    2 for an argument to change), never a traceback."""
    try:
        yield
    except Graph360Error as error:
        errors.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None


@contextmanager
def open_graph(location: str | None, *, read_only: bool = False) -> Iterator[GraphStore]:
    with refusals():
        store = open_store(location, read_only=read_only)
        try:
            yield store
        finally:
            store.close()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=jsonable, indent=2) + "\n")


def print_csv(rows: list[dict[str, Any]]) -> None:
    """``rows`` as CSV on stdout (see :func:`csv_text`)."""
    sys.stdout.write(csv_text(rows))


def csv_text(rows: list[dict[str, Any]]) -> str:
    """``rows`` as CSV, every text cell safe to open in a spreadsheet (:func:`safe_cell`)."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: jsonable(v) if isinstance(v, dt.datetime) else safe_cell(v)
                    for k, v in row.items()
                }
            )
    return out.getvalue()


def write_output(path: Path, body: str) -> None:
    """``body`` into the file ``path`` (its folders made as needed); a path that cannot be
    written (under a file, a read-only place) is one line naming it, never a traceback."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    except OSError as error:
        blocked = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        reason = f"{blocked} is not a folder" if blocked else error.strerror or error
        raise InvalidRequestError(f"cannot write {path}: {reason}") from None


#: What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+SUM(A1)``,
    ``-2+3``) with a leading apostrophe, as OWASP advises, so it reads as text; numbers and
    other text as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Table:
    columns = columns or (list(rows[0]) if rows else [])
    grid = Table(title=title, title_justify="left", expand=False)
    for name in columns:
        grid.add_column(name.replace("_", " "))
    for row in rows:
        grid.add_row(*(text(row.get(name)) for name in columns))
    return grid


def emit(
    rows: list[dict[str, Any]], format: Format, title: str, columns: list[str] | None = None
) -> None:
    """Rows as a table for people, or as JSON / CSV for machines."""
    if format is Format.json:
        print_json(rows)
    elif format is Format.csv:
        print_csv(rows)
    else:
        console.print(table(title, rows, columns))
