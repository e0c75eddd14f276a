"""The ``audit`` command: journey steps nobody owns (or several own), who is stuck there, what
it costs; ``--fail-on-unowned`` / ``--fail-on-conflict`` make it a pipeline gate (exit 4)."""

from __future__ import annotations

import datetime as dt
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from graph360.cli.base import (
    EXIT_FOUND,
    PersonaOption,
    SegmentOption,
    StoreOption,
    app,
    console,
    csv_text,
    errors,
    jsonable,
    open_graph,
    refusals,
    table,
    text,
    who,
    write_output,
)


def mood_cells(mood: Any) -> tuple[str, str, str]:
    """A step's mood as three table cells: average rating (of its scale), share negative (an
    angry step in red), its top theme."""
    if mood is None:
        return "", "", ""
    rating = "" if mood.average_rating is None else f"{mood.average_rating:.0%}"
    negative = ""
    if mood.share_negative is not None:
        negative = f"{mood.share_negative:.0%}"
        if mood.share_negative >= ANGRY:
            negative = f"[red]{negative}[/red]"
    return rating, negative, mood.themes[0] if mood.themes else ""


#: A step where at least this share of what people said is negative shows in red (the
#: journey view's own mark: graph360.views.journey.ANGRY).
ANGRY = 0.3

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class AuditFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


@app.command()
def audit(
    journey: Annotated[
        str | None, typer.Option("--journey", "-j", help="Audit this journey only")
    ] = None,
    fail_on_unowned: Annotated[
        bool,
        typer.Option(
            "--fail-on-unowned",
            help="Exit 4 when a step has no owner (conflicts do not count: --fail-on-conflict)",
        ),
    ] = False,
    fail_on_conflict: Annotated[
        bool, typer.Option("--fail-on-conflict", help="Exit 4 when a step has several owners")
    ] = False,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=DATE_FORMATS,
            metavar="<date>",
            help="End of the 12-month value window [default: now]",
            show_default=False,
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="Stuck customers to name per step (json, md)")] = 5,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout")
    ] = None,
    persona: PersonaOption = None,
    segment: SegmentOption = None,
    store: StoreOption = None,
    format: Annotated[
        AuditFormat, typer.Option("--format", "-f", help="Output format (md: a report)")
    ] = AuditFormat.table,
) -> None:
    """Audit journey-step ownership: unowned steps, conflicting owners, orphan touchpoints,
    and the data coverage (which systems feed each step; graph360/analytics/coverage.py)."""
    from graph360.analytics.ownership.audit import ownership_audit
    from graph360.analytics.ownership.markdown import audit_markdown

    with open_graph(store, read_only=True) as graph, refusals():
        result = ownership_audit(
            graph, journey, as_of=as_of, top=top, persona=persona, segment=segment
        )

    if format is AuditFormat.table:
        if output:
            page = Console(file=io.StringIO(), width=160)
            _show(result, page)
            with refusals():
                write_output(output, page.file.getvalue())
        else:
            _show(result, console)
    else:
        if format is AuditFormat.md:
            body = audit_markdown(result)
        elif format is AuditFormat.json:
            body = json.dumps(result.to_dict(), default=jsonable, indent=2) + "\n"
        else:
            body = csv_text(result.step_rows())
        if output:
            with refusals():
                write_output(output, body)
        else:
            typer.echo(body, nl=False)
    if output:
        errors.print(f"wrote {output}", highlight=False)

    failed = []
    if fail_on_unowned and result.unowned:
        failed.append(
            f"{len(result.unowned)} unowned: " + ", ".join(s.step_id for s in result.unowned)
        )
    if fail_on_conflict and result.conflicts:
        failed.append(
            f"{len(result.conflicts)} with several owners: "
            + ", ".join(s.step_id for s in result.conflicts)
        )
    if failed:
        errors.print("[red]ownership gaps:[/red] " + "; ".join(failed), highlight=False)
        raise typer.Exit(EXIT_FOUND)


_STATUS = {
    "owned": "[green]ok[/green]",
    "unowned": "[red]UNOWNED[/red]",
    "conflict": "[yellow]CONFLICT[/yellow]",
}


def _show(result: Any, out: Console) -> None:
    s = result.summary
    journeys = f"{s['journeys']} journey" + ("" if s["journeys"] == 1 else "s")
    out.print(
        f"[bold]{s['unowned']}[/bold] unowned, [bold]{s['conflicts']}[/bold] conflicting of "
        f"{s['steps']} steps in {journeys} · "
        f"[bold]{s['customers_stuck_at_gaps']:,}[/bold] stuck at gaps · value at stake "
        f"[bold]{s['value_at_stake']:,.2f}[/bold] (12 months to {result.as_of:%Y-%m-%d})"
        + who(result.persona, result.segment),
        highlight=False,
    )
    for journey in result.journeys:
        grid = Table(
            title=f"{journey['journey'] or journey['journey_id']} ({journey['journey_id']})",
            title_justify="left",
        )
        grid.add_column("step")
        grid.add_column("owners")
        grid.add_column("status", no_wrap=True)
        for name in ("touchpoints", "customers", "stuck", "at stake"):
            grid.add_column(name, justify="right", no_wrap=True)
        grid.add_column("likely owner")
        for name in ("rating", "negative"):  # the mood (graph360.analytics.mood)
            grid.add_column(name, justify="right", no_wrap=True)
        grid.add_column("themes")
        for step in result.steps:
            if step.journey_id == journey["journey_id"]:
                grid.add_row(
                    f"{step.position}. {step.label}",
                    ", ".join(step.owner_names) or "—",
                    _STATUS[step.status],
                    f"{step.touchpoints:,}",
                    f"{step.customers:,}",
                    f"{step.stuck:,}",
                    f"{step.value_at_stake:,.2f}",
                    step.likely_owner_name or "",
                    *mood_cells(step.mood),
                )
        out.print(grid)
        for step in result.gaps:
            if step.journey_id == journey["journey_id"]:
                channels = ", ".join(
                    f"{c['channel']} {c['touchpoints']:,}" for c in step.by_channel
                )
                out.print(
                    f"  [bold]{step.label}[/bold]: {step.touchpoints:,} touchpoints"
                    + (f" ({channels})" if channels else "")
                    + (f", {text(step.first_at)} to {text(step.last_at)}" if step.first_at else ""),
                    highlight=False,
                )
                out.print(f"    what to do: {step.advice}", highlight=False)
    if result.orphans is not None:
        orphans = [
            {
                "channel": o.channel,
                "kind": o.kind,
                "touchpoints": f"{o.touchpoints:,}",
                "value": o.value,
                "first_at": o.first_at,
                "last_at": o.last_at,
            }
            for o in result.orphans
        ]
        share = s["orphan_share"]
        out.print(
            table(
                f"Orphan touchpoints (no journey step): {s['orphan_touchpoints']:,}"
                + (f", {share:.0%} of all" if share is not None else ""),
                orphans,
                ["channel", "kind", "touchpoints", "value", "first_at", "last_at"],
            )
        )
    if result.coverage is not None:
        show_coverage_gaps(result.coverage, out)


def show_coverage_gaps(c: Any, out: Console) -> None:
    """The coverage's gaps in three lines (``graph360 coverage`` has the whole of it)."""
    share = "" if c.share_single_system is None else f" ({c.share_single_system:.0%})"
    out.print(
        f"data coverage: steps with no data: {', '.join(c.steps_without_data) or 'none'} · "
        f"fed by one system only: {', '.join(c.single_source_steps) or 'none'} · "
        f"{c.single_system:,} of {c.customers:,} customers{share} known to one system only",
        highlight=False,
    )
