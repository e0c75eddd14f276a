"""Choosing and opening a store: one setting, ``--store`` or ``GRAPH360_STORE``.

A path is an embedded LadybugDB database; ``neo4j://``, ``neo4j+s://`` or ``bolt://`` is a
Neo4j server (credentials from ``GRAPH360_NEO4J_USER`` / ``GRAPH360_NEO4J_PASSWORD``, or in the
URI as ``user:password@``; a database other than the server's default from
``GRAPH360_NEO4J_DATABASE``).
"""

from __future__ import annotations

import os
from pathlib import Path

from graph360.store.base import GraphStore

DEFAULT_PATH = "graph360.lbug"
SERVER_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def resolve_location(location: str | None = None) -> str:
    """The store to use: the argument, else ``GRAPH360_STORE``, else ./graph360.lbug."""
    return location or os.environ.get("GRAPH360_STORE") or DEFAULT_PATH


def is_server(location: str) -> bool:
    return location.startswith(SERVER_SCHEMES)


def open_store(
    location: str | None = None, *, read_only: bool = False, checkpoint_bytes: int | None = None
) -> GraphStore:
    """Open (creating if needed) the store at ``location`` with the model's schema applied.
    ``checkpoint_bytes``: an embedded store's log size past which a commit checkpoints (None:
    the engine's default; a server checkpoints on its own)."""
    where = resolve_location(location)
    store: GraphStore
    if is_server(where):
        from graph360.store.neo4j import Neo4jStore

        store = Neo4jStore(where, read_only=read_only)
    else:
        from graph360.store.embedded import EmbeddedStore

        store = EmbeddedStore(Path(where), read_only=read_only, checkpoint_bytes=checkpoint_bytes)
    if not read_only:
        store.apply_schema()
    return store


__all__ = ["GraphStore", "is_server", "open_store", "resolve_location"]
