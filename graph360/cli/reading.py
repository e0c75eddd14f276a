"""Commands that read: ``stats`` and the ``customer`` 360 card."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.panel import Panel

from graph360.cli.base import (
    CustomerRef,
    Format,
    FormatOption,
    MaskedOption,
    Shape,
    ShapeOption,
    StoreOption,
    app,
    audience,
    console,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
    text,
)
from graph360.display import money, share

# --- reading ---------------------------------------------------------------------------------


@app.command()
def stats(store: StoreOption = None, format: FormatOption = Format.table) -> None:
    """Count nodes per label and relationships per type."""
    with open_graph(store, read_only=True) as graph, refusals():
        counts = graph.counts()
    if format is Format.json:
        print_json(counts)
        return
    rows = [{"kind": "node", "name": k, "count": v} for k, v in counts["nodes"].items()]
    rows += [
        {"kind": "relationship", "name": k, "count": v} for k, v in counts["relationships"].items()
    ]
    if format is Format.csv:
        print_csv(rows)
    else:
        console.print(table("graph360", rows))


@app.command()
def customer(
    ref: CustomerRef,
    store: StoreOption = None,
    touchpoints: Annotated[int, typer.Option(help="How many recent touchpoints to show")] = 10,
    format: ShapeOption = Shape.table,
    masked: MaskedOption = False,
) -> None:
    """Print the 360 card of one customer (contact details in full unless --masked)."""
    from graph360.analytics.card import customer_card

    with open_graph(store, read_only=True) as graph, refusals():
        card = customer_card(graph, ref, touchpoints=touchpoints, audience=audience(masked))
    if format is Shape.table:
        _show_card(card)
    else:
        print_json(card)


def _show_card(card: dict[str, Any]) -> None:
    who = card["identity"]
    place = ", ".join(v for v in who["location"].values() if v)
    head = [
        f"[bold]{who['name'] or '(no name)'}[/bold]  {card['customer_id']}",
        " · ".join(
            text(v)
            for v in (
                f"{who['age']} years" if who["age"] is not None else None,
                who["gender"],
                place,
                who["email"],
                who["phone"],
            )
            if v
        ),
        " · ".join(
            f"{k}: {v}"
            for k, v in (
                ("segment", who["segment"]),
                ("persona", who["persona"]),
                ("stage", who["lifecycle_stage"]),
                ("since", text(who["customer_since"])),
            )
            if v
        ),
    ]
    value, influence, activity = card["value"], card["influence"], card["activity"]
    if value["computed_at"] is None:
        head.append("value: not computed yet (run graph360 value)")
    else:
        head.append(
            f"value a year: current {money(value['current'])} · potential "
            f"{money(value['potential'])} · chance of drifting away {share(value['at_risk'])} "
            f"(as of {text(value['computed_at'])})"
        )
    if influence["pagerank"] is not None:
        head.append(
            f"influence: rank {influence['influence_rank']} · reach {influence['reach']} · "
            f"community {influence['community']}"
        )
    head.append(
        f"activity: {activity['touchpoints']} touchpoints, {activity['last_12_months']} in the "
        f"last 12 months, last {text(activity['last_at']) or 'never'}"
    )
    flags = [f for f in card["flags"] if f["status"] != "resolved"]
    if flags:
        head.append(
            "flags: " + ", ".join(f"[{f['severity']}]{f['kind']}[/]: {f['reason']}" for f in flags)
        )
    quiet = card.get("silence") or {}
    if quiet.get("unanswered_voices") or quiet.get("silent_churn_risk"):
        said = [f"{quiet['unanswered_voices']} unanswered voices"]
        if quiet["silent_churn_risk"]:
            said.append(
                f"SILENT CHURN RISK ({quiet['recent_touchpoints']} touchpoints in 90 days "
                f"against {quiet['usual_touchpoints']} usually, never complained)"
            )
        head.append("[yellow]not saying[/yellow]: " + " · ".join(said))
    console.print(Panel("\n".join(head), title="360", title_align="left"))
    sections: list[tuple[str, list[dict[str, Any]], list[str]]] = [
        (
            "Identity: source records",
            who["records"],
            ["record_key", "name", "email", "phone", "rule", "via"],
        ),
        (
            "Accounts",
            card["accounts"],
            ["account_id", "name", "plan", "status", "value", "role", "department"],
        ),
        (
            "Relationships",
            card["relationships"],
            ["direction", "kind", "name", "customer_id", "weight"],
        ),
        ("Journeys (current step)", card["journeys"], ["journey", "step", "at", "owners"]),
        (
            "Recent touchpoints",
            card["recent_touchpoints"],
            [
                "at",
                "channel",
                "kind",
                "campaign",
                "step",
                "department",
                "value",
                "rating",
                "outcome",
                "text",
            ],
        ),
        ("Campaigns", card["campaigns"], ["name", "channel", "department", "added_at"]),
        ("Actions", card["actions"], ["status", "kind", "reason", "department", "due_at"]),
        ("Next best offers", card["next_best_offers"], ["name", "category", "score", "reason"]),
        ("Consent", card["consent"], ["purpose", "channel", "status", "at", "source"]),
    ]
    hidden = card["relationships_total"] - len(card["relationships"])
    if hidden:
        card["relationships"].append({"name": f"… and {hidden} more", "direction": ""})
    for journey in card["journeys"]:
        journey["owners"] = journey["owners"] or ["[red]nobody: unowned step[/red]"]
    for title, rows, columns in sections:
        if rows:
            console.print(table(title, rows, columns))
