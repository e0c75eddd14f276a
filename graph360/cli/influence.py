"""``graph360 influence``: weighted PageRank, reach and communities, stored on every customer."""

from __future__ import annotations

from typing import Annotated

import typer

from graph360 import model
from graph360.cli.base import (
    Format,
    FormatOption,
    StoreOption,
    app,
    console,
    open_graph,
    print_csv,
    print_json,
    refusals,
    table,
)


@app.command()
def influence(
    top: Annotated[int, typer.Option("--top", "-n", help="How many people to show")] = 20,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            "-k",
            help=f"Relationship kind to follow, repeatable [default: all: "
            f"{', '.join(model.RELATIONSHIP_KINDS)}]",
            show_default=False,
        ),
    ] = None,
    save: Annotated[
        bool | None,
        typer.Option(
            "--save/--no-save",
            help="Store pagerank, rank, reach and community on every customer (what the card "
            "shows) [default: save, unless --kind filters the network]",
            show_default=False,
        ),
    ] = None,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Who influences whom: weighted PageRank (damping 0.85), reach within two hops, community.

    Relationships point towards the person who holds the influence (follower -> followed,
    referred -> referrer; knows, household and colleague both ways). Unfiltered results are
    stored on the customers, so the 360 card shows them without recomputing.
    """
    from graph360.analytics.influence.scores import influence as compute

    # A ranking over some kinds only is a question, not the stored influence every card shows:
    # it replaces the stored scores only when asked to.
    save = not kind if save is None else save
    with open_graph(store, read_only=not save) as graph, refusals():
        result, rows = compute(graph, top=top, kinds=kind, save=save)
    summary = result.summary()
    if format is Format.json:
        print_json({"summary": summary, "top": rows})
        return
    if format is Format.csv:
        print_csv(rows)
        return
    title = (
        f"Top {len(rows)} of {summary['customers']:,} customers by influence "
        f"({', '.join(summary['kinds'])})"
    )
    console.print(
        table(
            title,
            [
                {**r, "pagerank": f"{r['pagerank']:.6f}", "members": r["community_size"]}
                for r in rows
            ],
            [
                "rank",
                "name",
                "customer_id",
                "pagerank",
                "reach",
                "community",
                "members",
            ],
        )
    )
    state = "converged" if summary["converged"] else "[red]did not converge[/red]"
    console.print(
        f"PageRank: {summary['relationships']:,} relationships, damping {summary['damping']}, "
        f"{state} in {summary['iterations']} iterations "
        f"(L1 change {summary['delta']:.1e} < {summary['tolerance']:.0e}). "
        f"{summary['communities']:,} communities. "
        + (
            "Stored on every customer."
            if save
            else "Not stored: a ranking over some kinds only (--save stores it)."
            if kind
            else "Not stored (--no-save)."
        ),
        highlight=False,
    )
