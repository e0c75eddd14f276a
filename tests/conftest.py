"""Shared fixtures: a ``store`` on every available backend, and the tiny bundle loaded into it.

The embedded LadybugDB store always runs. A Neo4j leg runs when ``GRAPH360_NEO4J_URI`` is
set and is skipped with that reason otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph360.ingest.load import LoadReport, load_bundle
from graph360.store import GraphStore, open_store

BUNDLES = Path(__file__).parent / "bundles"
TINY = BUNDLES / "tiny"
BACKENDS = ["ladybug", "neo4j"]


def _open(backend: str, tmp_path: Path) -> GraphStore:
    if backend == "ladybug":
        return open_store(str(tmp_path / "graph.lbug"))
    uri = os.environ.get("GRAPH360_NEO4J_URI")
    if not uri:
        pytest.skip("GRAPH360_NEO4J_URI is not set: no Neo4j server to test against")
    return open_store(uri)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store on each available backend."""
    graph = _open(request.param, tmp_path)
    yield graph
    graph.close()


@pytest.fixture(params=BACKENDS, scope="module")
def tiny(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GraphStore, LoadReport]]:
    """The tiny bundle (tests/bundles/tiny) loaded once per module and backend."""
    folder = tmp_path_factory.mktemp("tiny")
    graph = _open(request.param, folder)
    report = load_bundle(graph, TINY, rejects_path=folder / "rejects.csv", max_shared=2)
    yield graph, report
    graph.close()


def snapshot(graph: GraphStore) -> dict[str, list[dict]]:
    """The whole graph as plain rows, for comparing two graphs exactly."""
    from graph360 import model

    shot = {}
    for label in model.NODES:
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
