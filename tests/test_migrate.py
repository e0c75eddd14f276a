"""``graph360 migrate``: a copy is the original, page by page, between real stores.

Embedded → embedded here; embedded ↔ Neo4j runs the same code against the server's store
(``copy_graph`` only uses the GraphStore interface) and is exercised by the parity leg below
when ``GRAPH360_NEO4J_URI`` is set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import TINY, snapshot
from typer.testing import CliRunner

from graph360.cli import EXIT_REFUSED, app
from graph360.cli.migrate import copy_graph, node_pages, relationship_pages
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore, open_store

runner = CliRunner()


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file holding the tiny bundle, with every node and relationship type in it."""
    folder = tmp_path_factory.mktemp("original")
    path = folder / "original.lbug"
    with open_store(str(path)) as graph:
        load_bundle(graph, TINY, rejects_path=folder / "rejects.csv", max_shared=2)
    return path


def _shot(path: Path) -> dict[str, list[dict]]:
    with open_store(str(path), read_only=True) as graph:
        return snapshot(graph)


def test_pages_cover_every_node_and_relationship_once(original: Path) -> None:
    with open_store(str(original), read_only=True) as graph:
        counts = graph.counts()
        for label, expected in counts["nodes"].items():
            pages = list(node_pages(graph, label, page=2))
            keys = [k for p in pages for k in p.column(0).to_pylist()]
            assert len(keys) == len(set(keys)) == expected, label
            assert all(p.num_rows <= 2 for p in pages)
        for rel_type, expected in counts["relationships"].items():
            rows = sum(p.num_rows for p in relationship_pages(graph, rel_type, page=2))
            assert rows == expected, rel_type
        assert counts["relationships"]["HAD"] > 2, "the tiny bundle no longer spans pages"


@pytest.mark.parametrize("page", [1, 10_000])
def test_a_copy_equals_the_original(original: Path, tmp_path: Path, page: int) -> None:
    copy = tmp_path / "copy.lbug"
    with open_store(str(original), read_only=True) as source, open_store(str(copy)) as target:
        copied = copy_graph(source, target, page=page)
        counts = source.counts()
    assert copied.read["Customer"] == counts["nodes"]["Customer"]
    assert copied.created == copied.read, "an empty target must get every row as new"
    assert _shot(copy) == _shot(original)


def test_the_command_copies_shows_progress_and_refuses_a_full_target(
    original: Path, tmp_path: Path
) -> None:
    copy = str(tmp_path / "copy.lbug")
    args = ["migrate", "--from", str(original), "--to", copy, "--page", "2", "--format", "json"]
    done = runner.invoke(app, args, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert rows["HAD"]["read"] == rows["HAD"]["created"] > 0
    assert _shot(Path(copy)) == _shot(original)

    again = runner.invoke(app, args, catch_exceptions=False)
    assert again.exit_code == EXIT_REFUSED
    assert "already holds a graph" in again.stderr
    merged = runner.invoke(app, [*args, "--merge"], catch_exceptions=False)
    assert merged.exit_code == 0
    assert all(r["created"] == 0 for r in json.loads(merged.stdout)), "a re-copy created rows"
    assert _shot(Path(copy)) == _shot(original)


def test_the_same_store_at_both_ends_is_refused(original: Path) -> None:
    done = runner.invoke(app, ["migrate", "--from", str(original), "--to", str(original)])
    assert done.exit_code == 2


@pytest.mark.neo4j
@pytest.mark.skipif(
    not os.environ.get("GRAPH360_NEO4J_URI"),
    reason="GRAPH360_NEO4J_URI is not set: no Neo4j server to copy through",
)
def test_embedded_to_neo4j_and_back_is_the_original(original: Path, tmp_path: Path) -> None:
    from graph360.store.neo4j import Neo4jStore

    server = open_store(os.environ["GRAPH360_NEO4J_URI"])
    assert isinstance(server, Neo4jStore)
    server.delete_everything()  # the leg's server is a throwaway one (tests/conftest.py)
    back = tmp_path / "back.lbug"
    source: GraphStore
    with open_store(str(original), read_only=True) as source:
        copy_graph(source, server, page=2)
    assert snapshot(server) == _shot(original)
    with open_store(str(back)) as target:
        copy_graph(server, target, page=2)
    server.close()
    assert _shot(back) == _shot(original)
