"""Every Cypher text Neo4j would run is valid Neo4j 5 Cypher — checked with no server.

The checker is Neo4j's own parser and semantic analysis, the npm package
``@neo4j-cypher/language-support`` pinned exactly in tools/cypher-lint/package.json. It is given
the model as a schema (labels, relationship types with their end labels, property keys), so a
misspelt name, a relationship drawn between the wrong labels or the wrong way round, a LadybugDB
function (``label()``, ``list_transform()``, ``current_date()``…) or a syntax error fails.
Any diagnostic fails, warnings included.

Texts checked: each named query as the Neo4j store picks it (``NAME.neo4j.cypher`` if present,
else the shared text), every statement ``graph360/store/neo4j_cypher.py`` generates (constraints,
indexes, MERGE batches, lookups) and every statement the shared ``GraphStore`` steps generate
(counts, exports, merges of nodes) and every statement ``graph360 migrate`` reads a source with.

Needs Node and ``npm ci`` in tools/cypher-lint (``.ci/run`` does it). Without them the tests
skip with that reason, except under CI (``CI`` set), where they fail instead.

Linting costs ~0.3 s a text, so answers are kept in pytest's cache (``.pytest_cache``) under a
hash of the linter's version, the schema and the text: a changed text, schema or pin is linted
again; an unchanged one is not. A clean checkout (CI) lints everything once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from graph360 import model, named_queries
from graph360.cli import migrate
from graph360.ingest import changes
from graph360.store import neo4j_cypher
from graph360.store.base import GraphStore

LINTER = Path(__file__).parents[1] / "tools" / "cypher-lint"
#: Keys of the parameter maps the stores UNWIND (``row.source``, ``p.old``…). After ``UNWIND``
#: the linter cannot tell a map from a node, so it checks these against the property keys too.
MAP_KEYS = ("old", "new", "source", "target")


def model_schema() -> dict[str, Any]:
    """The model as the linter's DbSchema."""
    properties = {p for node in model.NODES.values() for p in node.columns}
    properties |= {p for rel in model.RELATIONSHIPS.values() for p in rel.properties}
    properties |= set(MAP_KEYS)
    return {
        "labels": sorted(model.NODES),
        "relationshipTypes": sorted(model.RELATIONSHIPS),
        "propertyKeys": sorted(properties),
        "graphSchema": [
            {"from": rel.source, "to": rel.target, "relType": rel.type}
            for rel in model.RELATIONSHIPS.values()
        ],
    }


def _unavailable() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (LINTER / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        return "tools/cypher-lint/node_modules is missing (run: cd tools/cypher-lint && npm ci)"
    return None


_CACHE_KEY = "graph360/cypher-lint"


def lint(
    texts: dict[str, str], schema: dict[str, Any] | None = None, cache: Any = None
) -> dict[str, list[dict]]:
    """Diagnostics for each text, by name (an empty list: valid); ``cache`` is pytest's."""
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the Cypher linter must run in CI: {reason}")
        pytest.skip(reason)
    schema = model_schema() if schema is None else schema
    salt = json.dumps([_pinned_version(), _digest(LINTER / "lint.mjs"), schema], sort_keys=True)
    keys = {
        name: hashlib.sha256((salt + text).encode()).hexdigest() for name, text in texts.items()
    }
    known: dict[str, list[dict]] = cache.get(_CACHE_KEY, {}) if cache is not None else {}
    missing = {name: text for name, text in texts.items() if keys[name] not in known}
    if missing:
        for name, diagnostics in _run_linter(missing, schema).items():
            known[keys[name]] = diagnostics
        if cache is not None:
            cache.set(_CACHE_KEY, known)
    return {name: known[keys[name]] for name in texts}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_linter(texts: dict[str, str], schema: dict[str, Any]) -> dict[str, list[dict]]:
    """Lint in one node process per core (each text costs ~0.3 s)."""
    names = list(texts)
    workers = max(1, min(os.cpu_count() or 1, len(names) // 20 or 1))
    processes = []
    for part in range(workers):
        payload = {
            "schema": schema,
            "queries": [{"name": n, "text": texts[n]} for n in names[part::workers]],
        }
        process = subprocess.Popen(
            ["node", "lint.mjs"],
            cwd=LINTER,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdin is not None
        process.stdin.write(json.dumps(payload))  # all start before any is read: in parallel
        process.stdin.close()
        processes.append(process)
    results: dict[str, list[dict]] = {}
    for process in processes:
        assert process.stdout is not None and process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
        process.wait(timeout=600)
        assert process.returncode == 0, err
        answer = json.loads(out)
        assert answer["linter"] == "@neo4j-cypher/language-support@" + _pinned_version()
        results.update({r["name"]: r["diagnostics"] for r in answer["results"]})
    return results


def _pinned_version() -> str:
    package = json.loads((LINTER / "package.json").read_text())
    return package["dependencies"]["@neo4j-cypher/language-support"]


class _Recorder(GraphStore):
    """A store that records the Cypher the shared GraphStore steps send, and runs nothing."""

    backend = "neo4j"
    location = "recorder"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def _run(self, text: str, params: dict[str, Any], *, write: bool) -> list[dict[str, Any]]:
        self.texts.append(text)
        return [{"n": 0}]

    def apply_schema(self) -> None: ...
    def upsert_nodes(self, label, rows):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def upsert_relationships(self, rel_type, rows, *, new=False):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def existing_keys(self, label, keys):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def get_nodes(self, label, keys):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def _begin(self) -> None: ...
    def _commit(self) -> None: ...
    def _rollback(self) -> None: ...
    def for_short_queries(self) -> None: ...
    def close(self) -> None: ...


def shared_step_texts() -> dict[str, str]:
    """Every text the shared GraphStore steps generate for the model."""
    recorder = _Recorder()
    recorder.counts()
    for label in model.NODES:
        recorder.all_nodes(label)
        recorder.merge_nodes(label, {"old": "new"})
    for rel_type in model.RELATIONSHIPS:
        recorder.all_relationships(rel_type)
    recorder.is_empty()
    for anchor in [*changes.ANCHORS.values(), changes.CUSTOMER]:
        recorder.stored_row_hashes(anchor.name)
        for rel_type, end in anchor.owned:
            recorder.delete_relationships_of(rel_type, end, pa.array(["k"]))
            recorder.relationships_at(rel_type, end, pa.array(["k"]))
    return {f"base {i}": text for i, text in enumerate(dict.fromkeys(recorder.texts))}


def neo4j_texts() -> dict[str, str]:
    """Every text the Neo4j store can run, by name."""
    texts = {
        f"query {name}": named_queries.get(name, "neo4j").text for name in named_queries.names()
    }
    texts.update({f"store {k}": v for k, v in neo4j_cypher.generated_statements().items()})
    texts.update(shared_step_texts())
    texts.update(migrate.generated_statements())
    return texts


@pytest.fixture(scope="module")
def diagnostics(pytestconfig: pytest.Config) -> dict[str, list[dict]]:
    """Every text Neo4j runs plus the deliberately broken ones, linted in one node process."""
    texts = {**neo4j_texts(), **{f"broken {k}": v for k, v in BROKEN.items()}}
    return lint(texts, cache=getattr(pytestconfig, "cache", None))


#: Planner notifications Neo4j also returns at run time, which say nothing about validity.
#: A cartesian product of two key lookups (``MATCH (a {key: $x}), (b {key: $y}) MERGE …``) is
#: one row times one row: the usual way to link two nodes found by key.
ALLOWED = ("If a part of a query contains multiple disconnected patterns",)


def _problems(found: list[dict]) -> list[dict]:
    return [d for d in found if not d["message"].startswith(ALLOWED)]


def _shown(diagnostics: list[dict]) -> str:
    return "; ".join(
        f"{d['line']}:{d['column']} {d['severity']}: {d['message']}" for d in diagnostics
    )


@pytest.mark.parametrize("name", sorted(neo4j_texts()))
def test_every_text_neo4j_runs_passes_neo4js_linter(name: str, diagnostics) -> None:
    found = _problems(diagnostics[name])
    assert not found, f"{name}: {_shown(found)}\n{neo4j_texts()[name]}"


def test_the_texts_cover_every_query_and_every_label_and_type() -> None:
    texts = neo4j_texts()
    assert {k.removeprefix("query ") for k in texts if k.startswith("query ")} == set(
        named_queries.names()
    )
    generated = " ".join(texts.values())
    for label in model.NODES:
        assert f"MERGE (n:{label} " in generated
        assert f"FOR (n:{label}) REQUIRE" in generated
    for rel_type in model.RELATIONSHIPS:
        assert f"-[r:{rel_type}" in generated


BROKEN = {
    "syntax": "MATCH (c:Customer) RETURN c.name LIMIT",
    "misspelt label": "MATCH (c:Custmer) RETURN c.name",
    "misspelt relationship type": "MATCH (c:Customer)-[:HADD]->(t:Touchpoint) RETURN t.at",
    "misspelt property": "MATCH (c:Customer) RETURN c.nmae",
    "relationship the wrong way round": "MATCH (t:Touchpoint)-[:HAD]->(c:Customer) RETURN c.name",
    "ladybug label()": "MATCH (n:Customer) RETURN label(n) AS kind",
    "ladybug date function": "MATCH (t:Touchpoint) WHERE t.at > current_date() RETURN t.at",
    "undefined variable": "MATCH (c:Customer) RETURN d.name",
    "ladybug LOAD FROM": "LOAD FROM $rows MATCH (n:Customer) WHERE n.customer_id = k RETURN n",
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_query_fails_the_lint(kind: str, diagnostics) -> None:
    assert _problems(diagnostics[f"broken {kind}"]), f"the linter accepted {kind}: {BROKEN[kind]}"


def test_a_misspelt_label_fails_and_is_named_in_the_diagnostic(diagnostics) -> None:
    found = _problems(diagnostics["broken misspelt label"])
    assert any("Custmer" in d["message"] for d in found), found


def test_the_schema_is_what_makes_names_fail(pytestconfig: pytest.Config) -> None:
    """The same valid text fails against a schema that lacks its names: the model's schema is
    really given to the linter (this text passes above as part of the named queries)."""
    text = named_queries.get("customer_touchpoints", "neo4j").text
    other = {
        "labels": ["Person"],
        "relationshipTypes": ["KNOWS"],
        "propertyKeys": ["name"],
        "graphSchema": [{"from": "Person", "to": "Person", "relType": "KNOWS"}],
    }
    assert _problems(
        lint({"q": text}, schema=other, cache=getattr(pytestconfig, "cache", None))["q"]
    )
