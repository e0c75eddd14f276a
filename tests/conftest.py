"""Shared fixtures: a ``store`` on every available backend, and the tiny bundle loaded into it.

The embedded LadybugDB store always runs. A Neo4j leg runs when ``GRAPH360_NEO4J_URI`` is
set (credentials from ``GRAPH360_NEO4J_USER`` / ``GRAPH360_NEO4J_PASSWORD``) and is skipped with
that reason otherwise.

The Neo4j leg EMPTIES the database it is pointed at: point it at a throwaway server (the compose
service, a test container), never at real data. Neo4j Community has one user database, so every
test shares it: the ``store`` fixture deletes every node (``Neo4jStore.delete_everything``:
``MATCH (n) … DETACH DELETE n`` in batches, so a big leftover graph cannot exhaust the server's
memory) before its test, and, when a module's ``tiny`` graph is loaded, loads it again after
the test so the module's later tests still find it. Constraints and indexes stay.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph360.ingest.load import LoadReport, load_bundle
from graph360.store import GraphStore, open_store

BUNDLES = Path(__file__).parent / "bundles"
TINY = BUNDLES / "tiny"
#: Each store-facing test runs on both, marked by backend: ``-m neo4j`` runs the Neo4j legs
#: only, ``-m "not neo4j"`` the embedded ones.
BACKENDS = [
    pytest.param("ladybug", marks=pytest.mark.ladybug, id="ladybug"),
    pytest.param("neo4j", marks=pytest.mark.neo4j, id="neo4j"),
]
#: How to load the current module's tiny graph again on the shared Neo4j database.
_RELOAD_TINY: list[Callable[[], None]] = []


def _open(backend: str, tmp_path: Path) -> GraphStore:
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


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in its own folder, so what a command writes by default into the
    current folder (graph360-rejects.csv, say) never lands in the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store on each available backend."""
    graph = _open(request.param, tmp_path)
    yield graph
    graph.close()
    if request.param == "neo4j":
        for reload in _RELOAD_TINY:
            reload()


@pytest.fixture(params=BACKENDS, scope="module")
def tiny(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GraphStore, LoadReport]]:
    """The tiny bundle (tests/bundles/tiny) loaded once per module and backend."""
    folder = tmp_path_factory.mktemp("tiny")
    graph = _open(request.param, folder)

    def load() -> LoadReport:
        return load_bundle(graph, TINY, rejects_path=folder / "rejects.csv", max_shared=2)

    report = load()
    if request.param == "neo4j":

        def reload() -> None:
            graph.delete_everything()  # type: ignore[attr-defined]
            load()

        _RELOAD_TINY.append(reload)
    yield graph, report
    if request.param == "neo4j":
        _RELOAD_TINY.clear()
    graph.close()


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


@pytest.fixture(params=BACKENDS, scope="module")
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The demo loaded and scored on each backend, behind the real ASGI app (tests/api_support)."""
    from api_support import load_demo, serve

    folder = tmp_path_factory.mktemp("api")
    location, cards = load_demo(request.param, folder)
    yield from serve(location, folder, cards)
