"""``graph360 overlap``: who else reached our customers, who collided, whom to cross-sell."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from graph360.cli.base import (
    Format,
    FormatOption,
    SinceOption,
    StoreOption,
    UntilOption,
    WindowOption,
    app,
    console,
    errors,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
    text,
)
from graph360.periods import Period, parse_period, parse_window


class By(StrEnum):
    department = "department"
    division = "division"


class Section(StrEnum):
    units = "units"
    pairs = "pairs"
    intersections = "intersections"
    collisions = "collisions"
    offenders = "offenders"
    sequence = "sequence"
    cross_sell = "cross-sell"


@app.command()
def overlap(
    by: Annotated[By, typer.Option("--by", help="Count by department or by division")] = (
        By.department
    ),
    since: SinceOption = None,
    until: UntilOption = None,
    window_hours: WindowOption = 48,
    top: Annotated[
        int, typer.Option(help="How many worst-hit customers, intersections and candidates")
    ] = 10,
    plot: Annotated[
        Path | None,
        typer.Option(help="Write the Jaccard heatmap and UpSet bars to this PNG"),
    ] = None,
    section: Annotated[
        list[Section] | None,
        typer.Option(
            "--section",
            "-s",
            help="Show only these parts (repeat); --format csv writes exactly one",
        ),
    ] = None,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Division overlap, contact collisions and cross-sell candidates.

    Reach = customers a unit's campaigns targeted or whose touchpoints it handled (or that came
    from its campaigns) in the period; a collision = contacts from two units within the window.
    """
    from graph360.analytics.overlap import overlap_report

    chosen = list(dict.fromkeys(section or list(Section)))
    if format is Format.csv and len(chosen) != 1:
        raise typer.BadParameter(
            "--format csv writes one table: choose it with --section "
            f"({', '.join(s.value for s in Section)})",
            param_hint="--section",
        )
    with refusals():  # a bad period or window, before the store is opened
        period, window = parse_period(since, until), parse_window(window_hours)
    with open_graph(store, read_only=True) as graph, refusals():
        report = overlap_report(
            graph,
            by=by.value,
            since=period.since,
            until=period.until,
            window_hours=window,
            top=top,
        )
    if plot is not None:
        from graph360.plots.overlap import plot_overlap

        plot_overlap(report, plot)
        errors.print(f"plot written to {plot}")
    if format is Format.json:
        print_json(_json(report, chosen))
    elif format is Format.csv:
        print_csv(_rows(report, chosen[0]))
    else:
        _show(report, chosen, top)


def _json(report: Any, chosen: list[Section]) -> dict[str, Any]:
    data = report.to_dict()
    collisions = data.pop("collisions")
    out = {k: data[k] for k in ("by", "since", "until", "window_hours")}
    parts = {
        Section.units: ("units", data["units"]),
        Section.pairs: ("pairs", data["pairs"]),
        Section.intersections: ("intersections", data["intersections"]),
        Section.collisions: (
            "collisions",
            {
                "customers": collisions["customers"],
                "contacts": collisions["contacts"],
                "pairs": collisions["pairs"],
                "response": collisions["response"],
            },
        ),
        Section.offenders: ("offenders", collisions["offenders"]),
        Section.sequence: ("sequence", collisions["sequence"]),
        Section.cross_sell: ("cross_sell", data["cross_sell"]),
    }
    for part in chosen:
        key, value = parts[part]
        out[key] = value
    if Section.sequence in chosen:  # what consent left out of the suggestions
        out["sequence_left_out_by_consent"] = collisions["left_out_by_consent"]
    if Section.cross_sell in chosen:
        out["cross_sell_left_out_by_consent"] = data["cross_sell_left_out_by_consent"]
    return out


def _rows(report: Any, part: Section) -> list[dict[str, Any]]:
    """One section as flat rows (lists joined with '; ')."""
    found = {
        Section.units: report.units,
        Section.pairs: report.pairs,
        Section.intersections: report.intersections,
        Section.collisions: report.collisions.pairs,
        Section.offenders: report.collisions.offenders,
        Section.sequence: report.collisions.sequence,
        Section.cross_sell: report.cross_sell,
    }[part]
    return [{k: _flat(v) for k, v in row.items()} for row in found]


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(
            f"{text(v['at'])} {v['name']}" if isinstance(v, dict) else str(v) for v in value
        )
    return value


def _show(report: Any, chosen: list[Section], top: int) -> None:
    unit = report.by
    period = Period(report.since, report.until)
    console.print(
        f"[bold]Overlap by {unit}[/bold] · {period} · collision window {report.window_hours:g} h"
    )
    collisions = report.collisions
    if Section.units in chosen:
        console.print(
            table(
                f"Customers each {unit} reached (targets, touchpoints) and contacted",
                report.units,
                ["name", "reached", "contacted", "contacts"],
            )
        )
    if Section.pairs in chosen:
        rows = [
            {
                **p,
                "jaccard": _num(p["jaccard"]),
                "overlap": _num(p["overlap"]),
            }
            for p in report.pairs
        ]
        console.print(
            table(
                "Pairwise overlap: both = |A∩B|, Jaccard = both / (|A| + |B| - both), "
                "overlap = both / min(|A|, |B|)",
                rows,
                ["name_a", "name_b", "customers_a", "customers_b", "both", "jaccard", "overlap"],
            )
        )
    if Section.intersections in chosen:
        shown = report.intersections[:top]
        rows = [
            {
                "units": " + ".join(i["names"]),
                "degree": i["degree"],
                "customers": i["customers"],
                "share": f"{i['share']:.1%}",
            }
            for i in shown
        ]
        console.print(table("Exclusive intersections: reached by exactly these units", rows))
        hidden = len(report.intersections) - len(shown)
        if hidden > 0:
            console.print(f"… and {hidden} smaller ones (--top, or --format json for all)")
    if Section.collisions in chosen:
        console.print(
            f"[bold]{collisions.customers:,}[/bold] customers were contacted by two or more "
            f"{unit}s within {report.window_hours:g} h ({collisions.contacts:,} contacts in "
            "the period)"
        )
        if collisions.pairs:
            console.print(
                table(
                    "Contact collisions per pair (closest encounter per customer)",
                    collisions.pairs,
                    ["name_a", "name_b", "customers", "a_first", "b_first", "median_gap_hours"],
                )
            )
    if Section.offenders in chosen and collisions.offenders:
        rows = [
            {
                **o,
                "window": f"{text(o['window_start'])} to {text(o['window_end'])}",
                "contacts_in_window": "; ".join(
                    f"{t['at']:%m-%d %H:%M} {t['name']}" for t in o["timeline"]
                ),
            }
            for o in collisions.offenders
        ]
        console.print(
            table(
                f"Worst hit: most {unit}s inside one {report.window_hours:g} h window",
                rows,
                ["customer_id", "name", "units", "contacts", "window", "contacts_in_window"],
            )
        )
    if Section.sequence in chosen and collisions.sequence:
        console.print("[bold]Suggested sequence[/bold]")
        for advice in collisions.sequence:
            console.print(f"  • {advice['advice']}\n    [dim]{advice['reason']}[/dim]")
        _left_out(collisions.left_out_by_consent)
    if Section.cross_sell in chosen:
        rows = [
            {
                "for": c["unit_name"],
                "customer_id": c["customer_id"],
                "name": c["name"],
                "profile": " · ".join(str(c[k]) for k in ("segment", "persona", "region")),
                "bought": f"{c['profile_buyers']} of {c['profile_customers']}",
                "base": f"{c['base_rate']:.1%}",
                "lift": f"{c['lift']:.2f}",
                "active_with": c["active_with"],
            }
            for c in report.cross_sell
        ]
        if rows:
            console.print(
                table(
                    f"Cross-sell candidates (top {top} per {unit}): active elsewhere, "
                    "profile like its buyers, not bought from it",
                    rows,
                )
            )
        else:
            console.print("No cross-sell candidates in this period.")
        _left_out(report.cross_sell_left_out_by_consent)


def _left_out(note: dict[str, Any]) -> None:
    """Say how many people consent left out of a suggestion (graph360.consent)."""
    if note.get("left_out"):
        purposes = " or ".join(p.replace("_", " ") for p in note["purposes"])
        console.print(f"  [dim]{note['left_out']:,} left out: they refused {purposes}[/dim]")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
