"""What test modules share: the bundles, the backends, an empty store, a graph as rows.

Fixtures live in conftest.py; plain helpers live here, so a test module imports them by name
(``from helpers import TINY``) instead of reaching into conftest.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graph360.store import GraphStore, open_store

BUNDLES = Path(__file__).parent / "bundles"
TINY = BUNDLES / "tiny"
#: Each store-facing test runs on both, marked by backend: ``-m neo4j`` runs the Neo4j legs
#: only, ``-m "not neo4j"`` the embedded ones.
BACKENDS = [
    pytest.param("ladybug", marks=pytest.mark.ladybug, id="ladybug"),
    pytest.param("neo4j", marks=pytest.mark.neo4j, id="neo4j"),
]


def empty_store(backend: str, tmp_path: Path) -> GraphStore:
    """An empty store: a new file, or the Neo4j server's database emptied."""
    if backend == "ladybug":
        return open_store(str(tmp_path / "graph.lbug"))
    uri = os.environ.get("GRAPH360_NEO4J_URI")
    if not uri:
        pytest.skip("GRAPH360_NEO4J_URI is not set: no Neo4j server to test against")
    from graph360.store.neo4j import Neo4jStore

    graph = open_store(uri)
    assert isinstance(graph, Neo4jStore)
    graph.delete_everything()
    return graph


def snapshot(graph: GraphStore) -> dict[str, list[dict]]:
    """The whole graph as plain rows, for comparing two graphs exactly; without the last
    load's mark and the graph's version, which say which bundle, how many writes and when,
    not what the graph holds."""
    from graph360 import model

    shot = {}
    for label in set(model.NODES) - {"LastLoad", "Meta"}:
        shot[label] = (
            graph.all_nodes(label)
            .astype(object)
            .where(lambda f: f.notna(), None)
            .to_dict("records")
        )
    for rel_type in model.RELATIONSHIPS:
        frame = graph.all_relationships(rel_type)
        shot[rel_type] = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return shot
