"""``graph360 merge``, ``unmerge`` and ``merges``: identity decisions made by hand, and their log.

They write, so they take the store's lock: not while ``graph360 serve`` holds it (use the
API's ``mergeCustomers`` / ``unmergeCustomer`` mutations then).
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from graph360 import merges
from graph360.cli.base import (
    CustomerRef,
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


def _who() -> str:
    """The person at this terminal, as the merge log names a command's decisions."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:  # no user name in this environment
        return "cli"


@app.command()
def merge(
    keep: Annotated[str, typer.Argument(help="The customer that stays (id, key or e-mail)")],
    other: Annotated[str, typer.Argument(help="The customer folded into it")],
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Merge two customers by hand: OTHER's records, touchpoints and links join KEEP.

    Later loads keep the merge (the link's rule is ``manual``); ``graph360 unmerge`` undoes
    it. A never-merge rule between their records refuses it.
    """
    from graph360.analytics.card import resolve_customer

    with open_graph(store) as graph, refusals():
        entry = merges.merge_customers(
            graph, resolve_customer(graph, keep), resolve_customer(graph, other), who=_who()
        )
    _show([entry], format, f"merged {entry.other_id} into {entry.customer_id}")


@app.command()
def unmerge(
    ref: CustomerRef,
    records: Annotated[
        str,
        typer.Option(help="The record keys to split off, comma-separated: crm:17,shop:A-9"),
    ],
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Split records off a customer into a customer of their own, for good.

    Each record takes its own touchpoints, holdings, campaign memberships and relationships.
    A never-merge rule keeps them apart in every later load and match. The customer's id
    stays with the record it was made from.
    """
    from graph360.analytics.card import resolve_customer

    keys = [key.strip() for key in records.split(",") if key.strip()]
    with open_graph(store) as graph, refusals():
        entries = merges.unmerge(graph, resolve_customer(graph, ref), keys, who=_who())
    _show(list(entries), format, "split")


@app.command("merges")
def merge_log(
    ref: Annotated[str | None, typer.Argument(help="Only the entries naming this customer")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first")] = 50,
    store: StoreOption = None,
    format: FormatOption = Format.table,
) -> None:
    """The merge log: every merge and split, when, why, the evidence and who."""
    from graph360.analytics.card import resolve_customer

    with open_graph(store, read_only=True) as graph, refusals():
        customer_id = resolve_customer(graph, ref) if ref else None
        entries = merges.merge_log(graph, customer_id, limit=limit)
    _show(entries, format, "merge log")


def _show(entries: list[merges.MergeEntry], format: Format, title: str) -> None:
    rows = [
        {
            "at": e.at,
            "kind": e.kind,
            "customer": e.customer_id,
            "other": e.other_id,
            "records": ", ".join(e.records),
            "rule": e.rule,
            "who": e.who,
        }
        for e in entries
    ]
    if format is Format.json:
        print_json([e.to_dict() for e in entries])
    elif format is Format.csv:
        print_csv(rows)
    else:
        console.print(table(title, rows))
