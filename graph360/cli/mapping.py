"""``graph360 mapping``: the mappings that read source-system exports (graph360.ingest.mapping).

``mapping list`` names the shipped ones; ``mapping check MAPPING EXPORT`` shows how an export
maps (its first rows, its unused columns, the rows the load would reject) and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graph360.cli.base import Shape, ShapeOption, app, console, print_json, refusals, table

mapping_app = typer.Typer(help="Mappings from source-system exports: list them, check one.")
app.add_typer(mapping_app, name="mapping")


@mapping_app.command("list")
def list_mappings(format: ShapeOption = Shape.table) -> None:
    """The shipped mappings: name, what they read, the canonical files they write."""
    from graph360.ingest.mapping import shipped_mappings

    with refusals():
        rows = [
            {"name": m.name, "description": m.description, "writes": ", ".join(m.files)}
            for m in shipped_mappings()
            if not m.passthrough
        ]
    if format is Shape.json:
        print_json(rows)
    else:
        console.print(table("Shipped mappings (loaders/)", rows))


def _transposed(sample: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows as columns: a canonical file has more columns than a terminal is wide."""
    columns = list(sample[0]) if sample else []
    return [
        {"column": name, **{f"row {i + 1}": row.get(name, "") for i, row in enumerate(sample)}}
        for name in columns
    ]


@mapping_app.command("check")
def check(
    mapping: Annotated[str, typer.Argument(help="A shipped mapping's name, or a .toml file")],
    export: Annotated[Path, typer.Argument(help="The export file (CSV, NDJSON or Parquet)")],
    rows: Annotated[int, typer.Option(min=1, max=100, help="How many mapped rows to show")] = 5,
    format: ShapeOption = Shape.table,
) -> None:
    """Map EXPORT with MAPPING and show the first rows, unused columns and rejected rows.

    Nothing is written. The row rules are the loader's (required values, dates, numbers,
    ratings, a customer named); references to other files are checked when the bundle loads.
    """
    from graph360.ingest.mapcheck import check_mapping

    with refusals():
        report = check_mapping(mapping, export, rows)
    if format is Shape.json:
        print_json(report.to_dict())
        return
    console.print(
        f"[bold]{report.export}[/bold] through mapping [bold]{report.mapping}[/bold]: "
        f"{report.records} records",
        highlight=False,
    )
    for note in report.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    for file, sample in report.samples.items():
        title = f"{file}: {report.rows[file]} rows (first {min(rows, len(sample))}, one a column)"
        console.print(table(title, _transposed(sample)))
    unused = ", ".join(report.unused_columns) or "none"
    console.print(f"columns no field reads: {unused}", highlight=False, markup=False)
    if report.rejects:
        console.print(table(f"{len(report.rejects)} rows the load would reject", report.rejects))
    else:
        console.print("no row breaks a row rule", highlight=False)
