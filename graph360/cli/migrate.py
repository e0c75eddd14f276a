"""``graph360 migrate``: copy a whole graph between stores (embedded → Neo4j and back).

A team starts embedded and moves up to a server, or takes a server's graph home to a file. The
copy streams: nodes a page at a time in key order (``WHERE n.key > $after ORDER BY n.key LIMIT
$page``: on Neo4j the key's uniqueness index serves both the filter and the order), then each
relationship type a page of source nodes at a time. Every page is written with the target's own
bulk upsert, so a copy that stops half-way is finished by running it again (``--merge``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from graph360 import model
from graph360.cli.base import Format, FormatOption, app, emit, errors, open_graph
from graph360.errors import StoreError
from graph360.store import GraphStore, resolve_location

#: Rows read from the source and written to the target at a time.
PAGE_ROWS = 10_000


def node_page_text(label: str, *, first: bool) -> str:
    """One page of ``label`` nodes in key order: the first page, or the one after ``$after``."""
    node = model.node(label)
    columns = ", ".join(f"n.{c} AS {c}" for c in node.columns)
    after = "" if first else f" WHERE n.{node.key} > $after"
    return f"MATCH (n:{label}){after} RETURN {columns} ORDER BY n.{node.key} LIMIT $page"


def key_page_text(label: str, *, first: bool) -> str:
    """One page of ``label`` keys in key order (bounds for a page of relationships)."""
    key = model.node(label).key
    after = "" if first else f" WHERE n.{key} > $after"
    return f"MATCH (n:{label}){after} RETURN n.{key} AS k ORDER BY n.{key} LIMIT $page"


def relationship_page_text(rel_type: str) -> str:
    """Every ``rel_type`` relationship whose source key is in [$first, $last]."""
    rel = model.relationship(rel_type)
    source, target = model.node(rel.source).key, model.node(rel.target).key
    props = "".join(f", r.{p} AS {p}" for p in rel.properties)
    return (
        f"MATCH (a:{rel.source})-[r:{rel.type}]->(b:{rel.target}) "
        f"WHERE a.{source} >= $first AND a.{source} <= $last "
        f"RETURN a.{source} AS `from`, b.{target} AS `to`{props}"
    )


def generated_statements() -> dict[str, str]:
    """Every text a migration sends to its source, by name (linted for Neo4j)."""
    texts = {}
    for label in model.NODES:
        for first in (True, False):
            texts[f"migrate nodes {label} {first}"] = node_page_text(label, first=first)
            texts[f"migrate keys {label} {first}"] = key_page_text(label, first=first)
    for rel_type in model.RELATIONSHIPS:
        texts[f"migrate relationships {rel_type}"] = relationship_page_text(rel_type)
    return texts


def _read(store: GraphStore, text: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return store._run(text, params, write=False)


def node_pages(store: GraphStore, label: str, page: int = PAGE_ROWS) -> Iterator[pa.Table]:
    """Every ``label`` node of ``store``, ``page`` at a time, as tables in the model's schema."""
    node = model.node(label)
    after: str | None = None
    while True:
        params: dict[str, Any] = {"page": page}
        if after is not None:
            params["after"] = after
        rows = _read(store, node_page_text(label, first=after is None), params)
        if not rows:
            return
        yield pa.Table.from_pylist(rows, schema=node.arrow_schema())
        if len(rows) < page:
            return
        after = rows[-1][node.key]


def relationship_pages(
    store: GraphStore, rel_type: str, page: int = PAGE_ROWS
) -> Iterator[pa.Table]:
    """Every ``rel_type`` relationship, a page of source nodes at a time."""
    rel = model.relationship(rel_type)
    after: str | None = None
    while True:
        params: dict[str, Any] = {"page": page}
        if after is not None:
            params["after"] = after
        keys = [
            r["k"] for r in _read(store, key_page_text(rel.source, first=after is None), params)
        ]
        if not keys:
            return
        rows = _read(store, relationship_page_text(rel_type), {"first": keys[0], "last": keys[-1]})
        if rows:
            yield pa.Table.from_pylist(rows, schema=rel.arrow_schema())
        if len(keys) < page:
            return
        after = keys[-1]


@dataclass
class Copied:
    """What a migration read and created, per label and relationship type."""

    read: dict[str, int] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)


def copy_graph(
    source: GraphStore,
    target: GraphStore,
    *,
    page: int = PAGE_ROWS,
    advance: Callable[[str, int], None] = lambda name, rows: None,
) -> Copied:
    """Copy every node, then every relationship, of ``source`` into ``target`` by upsert.

    ``advance(name, rows)`` is told after each page (for a progress bar)."""
    copied = Copied()
    for label in model.NODES:
        for rows in node_pages(source, label, page):
            created = target.upsert_nodes(label, rows)
            _add(copied, label, rows.num_rows, created)
            advance(label, rows.num_rows)
    for rel_type in model.RELATIONSHIPS:
        for rows in relationship_pages(source, rel_type, page):
            created = target.upsert_relationships(rel_type, rows)
            _add(copied, rel_type, rows.num_rows, created)
            advance(rel_type, rows.num_rows)
    return copied


def _add(copied: Copied, name: str, read: int, created: int) -> None:
    copied.read[name] = copied.read.get(name, 0) + read
    copied.created[name] = copied.created.get(name, 0) + created


def _total(counts: dict[str, dict[str, int]]) -> int:
    return sum(counts["nodes"].values()) + sum(counts["relationships"].values())


@app.command()
def migrate(
    source: Annotated[
        str, typer.Option("--from", help="Store to copy from: a database path or a Neo4j URI")
    ],
    target: Annotated[
        str, typer.Option("--to", help="Store to copy into: a database path or a Neo4j URI")
    ],
    merge: Annotated[
        bool,
        typer.Option(
            "--merge",
            help="Copy into a store that already holds a graph (upserts by key; also finishes "
            "a copy that stopped half-way)",
        ),
    ] = False,
    page: Annotated[int, typer.Option("--page", min=1, help="Rows per read and write")] = PAGE_ROWS,
    format: FormatOption = Format.table,
) -> None:
    """Copy a whole graph between stores: embedded to Neo4j, Neo4j to embedded, or file to file.

    Neo4j credentials: GRAPH360_NEO4J_USER / _PASSWORD, or user:password@ in the URI.
    """
    if resolve_location(source) == resolve_location(target):
        errors.print("[red]error:[/red] --from and --to are the same store")
        raise typer.Exit(2)
    with open_graph(source, read_only=True) as origin, open_graph(target) as destination:
        total = _total(origin.counts())
        if not merge and _total(destination.counts()):
            raise StoreError(
                f"{destination.location} already holds a graph; pass --merge to copy into it anyway"
            )
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
        ) as progress:
            task = progress.add_task("copying", total=total)

            def advance(name: str, rows: int) -> None:
                progress.update(task, advance=rows, description=name)

            copied = copy_graph(origin, destination, page=page, advance=advance)
        title = f"Copied {origin.location} into {destination.location}"
    rows = [
        {"name": name, "read": copied.read[name], "created": copied.created[name]}
        for name in copied.read
    ]
    emit(rows, format, title)
