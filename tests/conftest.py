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

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import BACKENDS, TINY, empty_store

from graph360.ingest.load import LoadReport, load_bundle
from graph360.store import GraphStore

#: How to load the current module's tiny graph again on the shared Neo4j database.
_RELOAD_TINY: list[Callable[[], None]] = []


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in its own folder, so what a command writes by default into the
    current folder (graph360-rejects.csv, say) never lands in the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store on each available backend."""
    graph = empty_store(request.param, tmp_path)
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
    graph = empty_store(request.param, folder)

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


@pytest.fixture(params=BACKENDS, scope="module")
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The demo loaded and scored on each backend, behind the real ASGI app (tests/api_support)."""
    from api_support import load_demo, serve

    folder = tmp_path_factory.mktemp("api")
    location, cards = load_demo(request.param, folder)
    yield from serve(location, folder, cards)
