"""Privacy commands: ``erase``, ``export-person``, ``retention``, ``suppression lift``,
``consent set`` and ``erasure-log`` (graph360.erasure, .export_person, .retention,
.suppression, .consent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from graph360.cli.base import (
    CustomerRef,
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
    write_output,
)
from graph360.display import jsonable

ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        help="delete: remove everything; anonymise: keep the touchpoints as anonymous counts",
    ),
]


@app.command()
def erase(
    ref: CustomerRef,
    store: StoreOption = None,
    mode: ModeOption = "delete",
    reason: Annotated[str, typer.Option(help="Why, for the erasure log")] = "request",
    format: ShapeOption = Shape.table,
) -> None:
    """Erase one person (GDPR art. 17): records, identifiers, personal fields, touchpoints'
    text, flags, actions, consents; their identifiers go on the suppression list. One
    transaction, logged without personal data."""
    from graph360.analytics.card import resolve_customer
    from graph360.erasure import erase as erase_person

    with open_graph(store) as graph, refusals():
        report = erase_person(graph, resolve_customer(graph, ref), mode=mode, reason=reason)
    if format is Shape.json:
        print_json(report.to_dict())
        return
    went = ", ".join(f"{n} {kind}" for kind, n in report.counts.items() if n)
    kept = " (touchpoints, memberships and accounts kept anonymous)" if mode == "anonymise" else ""
    console.print(
        f"erased ({report.mode}){kept}: {went or 'nothing but the customer'}; "
        f"{report.suppressed} identifier(s) suppressed; log entry {report.erasure_id}"
    )


@app.command("export-person")
def export_person(
    ref: CustomerRef,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the JSON here (default stdout)")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Everything held about one person as JSON (docs/person-export.md): source records,
    touchpoints, flags, actions, relationships, accounts, merge history, consents."""
    from graph360.analytics.card import resolve_customer
    from graph360.export_person import export_person as export

    with open_graph(store, read_only=True) as graph, refusals():
        document = export(graph, resolve_customer(graph, ref))
    text = json.dumps(document, default=jsonable, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    with refusals():
        write_output(output, text)
    counts = ", ".join(
        f"{len(document[k])} {k.replace('_', ' ')}"
        for k in ("source_records", "touchpoints", "consents")
    )
    console.print(f"wrote {output}: {counts}")


@app.command()
def retention(
    inactive_for: Annotated[
        str, typer.Option("--inactive-for", help="e.g. 3y, 18m, 90d: no activity for that long")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List, erase nothing")] = False,
    mode: ModeOption = "delete",
    store: StoreOption = None,
    top: Annotated[int, typer.Option(help="How many people to list in the table")] = 20,
    format: ShapeOption = Shape.table,
) -> None:
    """List, then erase (or anonymise), the people with no activity for a period."""
    from graph360.retention import retention as run

    with open_graph(store, read_only=dry_run) as graph, refusals():
        report = run(graph, inactive_for, dry_run=dry_run, mode=mode)
    if format is Shape.json:
        print_json(report.to_dict())
        return
    verb = "would erase" if dry_run else f"erased ({mode})"
    console.print(
        f"{report.inactive} of {report.customers} people inactive for {report.inactive_for} "
        f"(no activity since {report.cutoff:%Y-%m-%d}); {verb} "
        f"{report.inactive if dry_run else report.erased}; {report.no_activity_known} with no "
        f"known activity kept; {report.seconds:.1f} s"
    )
    if report.people:
        emit(report.people[:top], Format.table, "oldest activity first")
    if report.removed:
        emit([{"kind": k, "removed": v} for k, v in report.removed.items()], Format.table, "gone")


suppression_app = typer.Typer(help="The suppression list of erased people's identifiers.")
app.add_typer(suppression_app, name="suppression")


@suppression_app.command("lift")
def lift(
    value: Annotated[str, typer.Argument(help="An e-mail, a phone (any format) or source:id")],
    store: StoreOption = None,
) -> None:
    """Take an identifier off the suppression list: the person may be loaded again."""
    from graph360.suppression import lift as lift_value

    with open_graph(store) as graph, refusals():
        kinds = lift_value(graph, value)
    console.print(f"lifted: {', '.join(kinds)}")


consent_app = typer.Typer(help="Consent statements (graph360.consent).")
app.add_typer(consent_app, name="consent")


@consent_app.command("set")
def set_consent(
    ref: CustomerRef,
    purpose: Annotated[str, typer.Argument(help="email_marketing, sms, phone or profiling")],
    status: Annotated[str, typer.Argument(help="granted, refused or unknown")],
    channel: Annotated[str | None, typer.Option(help="Default: the purpose's own")] = None,
    source: Annotated[str, typer.Option(help="Who said it")] = "cli",
    store: StoreOption = None,
) -> None:
    """Record a person's consent or refusal; the statement it replaces goes to its history."""
    from graph360.analytics.card import resolve_customer
    from graph360.consent import record

    with open_graph(store) as graph, refusals():
        row = record(
            graph, resolve_customer(graph, ref), purpose, status, channel=channel, source=source
        )
    console.print(f"{row['purpose']} ({row['channel']}): {row['status']}")


@app.command("erasure-log")
def erasure_log(
    store: StoreOption = None,
    limit: Annotated[int, typer.Option(help="How many entries, newest first")] = 50,
    format: FormatOption = Format.table,
) -> None:
    """The erasure log: what went, when, who asked (no personal data in it)."""
    from graph360.erasure import erasure_log as read

    with open_graph(store, read_only=True) as graph, refusals():
        rows = read(graph, limit=limit)
    for row in rows:
        row["counts"] = json.dumps(row["counts"], sort_keys=True)
    emit(rows, format, "erasures")
