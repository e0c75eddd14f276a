"""Commands about what customers are worth and what to do for them: ``value``, ``rules``,
``offers``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from graph360.cli.base import (
    CustomerRef,
    Format,
    FormatOption,
    StoreOption,
    app,
    console,
    emit,
    errors,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
    text,
)

AsOfOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        help="Score as of this moment (UTC) [default: now]",
        show_default=False,
    ),
]


@app.command()
def value(
    store: StoreOption = None,
    top: Annotated[int, typer.Option(help="How many customers to list, by potential")] = 10,
    as_of: AsOfOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Score every customer's current value, potential value (RFM) and risk; store the scores.

    Current value: purchases in the last 12 months plus the annual value of active accounts.
    Potential: retention(R score) x purchases per year x average purchase, plus accounts.
    At risk (0-1): overdue by their own purchase rhythm, a recent poor rating, an open
    complaint. The definitions are in graph360/analytics/value.py.
    """
    from graph360.analytics.value import update_values

    with open_graph(store) as graph, refusals():
        report = update_values(graph, as_of=as_of, top=top)
    if format is Format.json:
        print_json(report.to_dict())
        return
    if format is Format.csv:
        print_csv(report.top)
        return
    shown = [
        {
            "customer": row["customer_id"],
            "name": row["name"],
            "current": row["current_value"],
            "potential": row["potential_value"],
            "risk": row["at_risk"],
            "days since": row["recency_days"],
            "purchases": row["frequency"],
            "average": row["monetary"],
            "RFM": _rfm(row),
        }
        for row in report.top
    ]
    console.print(
        table(f"Top {len(shown)} customers by potential value (as of {text(report.as_of)})", shown)
    )
    console.print(
        f"scored and stored: [bold]{report.customers:,}[/bold] customers "
        f"({report.buyers:,} with purchases) · current value {report.current_total:,.2f} · "
        f"potential {report.potential_total:,.2f} · at risk (> 0.5): "
        f"[bold]{report.at_risk_customers:,}[/bold]"
    )


def _rfm(row: dict[str, Any]) -> str:
    scores = [row["r"], row["f"], row["m"]]
    return "" if None in scores else "".join(str(s) for s in scores)


@app.command()
def rules(
    store: StoreOption = None,
    fallback_department: Annotated[
        str | None,
        typer.Option(
            "--fallback-department",
            help="Department for poor ratings at unowned steps or at no step "
            "[default: customer_care if it exists, else the first department by id]",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compute and report, write nothing")
    ] = False,
    format: FormatOption = Format.table,
) -> None:
    """Raise flags (red, amber, green) and route every poor rating to the department that owns
    its step, as a follow-up action; flags whose cause has gone are resolved.

    Red: an unresolved complaint or a poor rating (<= 2/5, 0-6 NPS). Amber: at-risk score above
    0.5 (from `graph360 value`). Green: a promoter (5/5, 9-10 NPS) with current or potential
    value in the top 10%. Running it again creates nothing twice.
    """
    from graph360.analytics.routing import run_rules

    with open_graph(store, read_only=dry_run) as graph, refusals():
        report = run_rules(graph, fallback_department=fallback_department, dry_run=dry_run)
    if format is Format.json:
        print_json(report.to_dict())
        return
    summary = _rules_rows(report)
    if format is Format.csv:
        print_csv(summary)
        return
    for warning in report.warnings:
        errors.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    title = "Flags (dry run: nothing written)" if report.dry_run else "Flags"
    console.print(
        table(
            title,
            [{"severity": s, **counts} for s, counts in report.flags.items()],
            ["severity", "raised", "kept", "resolved"],
        )
    )
    if report.left_out_by_consent.get("left_out"):
        console.print(
            f"[dim]{report.left_out_by_consent['left_out']:,} VIP candidate(s) left out: "
            "they refused profiling[/dim]"
        )
    console.print(
        table(
            "Poor ratings routed (follow-up actions) per department",
            report.routed,
            ["department_id", "department", "actions", "created"],
        )
    )
    if report.conflicts:
        console.print(
            table(
                "Conflicts: steps with several owners (the first by id takes the action)",
                report.conflicts,
                ["step_id", "step", "owners", "chosen", "ratings"],
            )
        )
    if report.gaps:
        console.print(
            table(
                f"Ownership gaps: routed to the fallback ({report.fallback_department})",
                [{**g, "step_id": g["step_id"] or "(no step)"} for g in report.gaps],
                ["reason", "step_id", "step", "ratings"],
            )
        )
    gaps = report.gap_counts
    console.print(
        f"actions: [bold]{report.actions_created}[/bold] created, "
        f"{report.actions_existing} existing ({report.actions_done} done) · ownership gaps: "
        f"[bold]{sum(gaps.values())}[/bold] ({gaps['unowned step']} at unowned steps, "
        f"{gaps['no step']} at no step) · conflicts: {len(report.conflicts)}"
    )


def _rules_rows(report: Any) -> list[dict[str, Any]]:
    """The report as one long table (part, name, measure, count) for CSV."""
    rows = [
        {"part": "flags", "name": severity, "measure": measure, "count": n}
        for severity, counts in report.flags.items()
        for measure, n in counts.items()
    ]
    rows += [
        {"part": "actions", "name": "poor rating follow-up", "measure": m, "count": n}
        for m, n in (
            ("created", report.actions_created),
            ("existing", report.actions_existing),
            ("done", report.actions_done),
        )
    ]
    rows += [
        {"part": "routed", "name": r["department_id"], "measure": m, "count": r[m]}
        for r in report.routed
        for m in ("actions", "created")
    ]
    rows += [
        {"part": "gaps", "name": g["step_id"] or "", "measure": g["reason"], "count": g["ratings"]}
        for g in report.gaps
    ]
    rows += [
        {
            "part": "conflicts",
            "name": c["step_id"],
            "measure": f"to {c['chosen']}",
            "count": c["ratings"],
        }
        for c in report.conflicts
    ]
    return rows


@app.command()
def offers(
    ref: CustomerRef,
    store: StoreOption = None,
    top: Annotated[int, typer.Option(help="How many offers")] = 5,
    format: FormatOption = Format.table,
) -> None:
    """Next-best offers for one customer: products bought by those who bought what they bought
    (the most popular in their segment when they have bought nothing yet)."""
    from graph360.analytics.card import resolve_customer
    from graph360.analytics.offers import next_best_offers

    with open_graph(store, read_only=True) as graph, refusals():
        customer_id = resolve_customer(graph, ref)
        found = next_best_offers(graph, customer_id, top=top)
    emit(
        found,
        format,
        f"Next-best offers for {customer_id}",
        ["product_id", "name", "category", "score", "reason"],
    )
