"""Choosing and opening a store: one setting, ``--store`` or ``GRAPH360_STORE``.

A path is an embedded LadybugDB database; ``neo4j://``, ``neo4j+s://`` or ``bolt://`` is a
Neo4j server.
"""

from __future__ import annotations

import os
from pathlib import Path

from graph360.errors import StoreError
from graph360.store.base import GraphStore

DEFAULT_PATH = "graph360.lbug"
SERVER_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def resolve_location(location: str | None = None) -> str:
    """The store to use: the argument, else ``GRAPH360_STORE``, else ./graph360.lbug."""
    return location or os.environ.get("GRAPH360_STORE") or DEFAULT_PATH


def is_server(location: str) -> bool:
    return location.startswith(SERVER_SCHEMES)


def open_store(location: str | None = None, *, read_only: bool = False) -> GraphStore:
    """Open (creating if needed) the store at ``location`` with the model's schema applied."""
    where = resolve_location(location)
    if is_server(where):
        raise StoreError(
            f"{where}: the Neo4j backend is not part of this build yet; use a database path"
        )
    from graph360.store.embedded import EmbeddedStore

    store = EmbeddedStore(Path(where), read_only=read_only)
    if not read_only:
        store.apply_schema()
    return store


__all__ = ["GraphStore", "is_server", "open_store", "resolve_location"]
