"""The Neo4j store without a server: schema generation against the model, batching, routing.

What runs on a real server is the parity suite (every ``store`` / ``tiny`` test, with
``GRAPH360_NEO4J_URI`` set). Here the driver is replaced by a recording double, to check what
the store asks of it: which statements, in which kind of transaction, in what batches.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import neo4j
import pandas as pd
import pyarrow as pa
import pytest

from graph360 import model, named_queries
from graph360.errors import StoreError
from graph360.store import neo4j as n4
from graph360.store import neo4j_cypher as n4_cypher
from graph360.store import open_store

# --- constraints and indexes, generated from the model ---------------------------------------

_CONSTRAINT = re.compile(
    r"^CREATE CONSTRAINT (\w+) IF NOT EXISTS FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE$"
)
_NODE_INDEX = re.compile(r"^CREATE INDEX (\w+) IF NOT EXISTS FOR \(n:(\w+)\) ON \(n\.(\w+)\)$")
_REL_INDEX = re.compile(
    r"^CREATE INDEX (\w+) IF NOT EXISTS FOR \(\)-\[n:(\w+)\]-\(\) ON \(n\.(\w+)\)$"
)


def _parsed_schema() -> tuple[set[tuple[str, str]], set[tuple[str, str]], list[str]]:
    constraints, indexes, names = set(), set(), []
    for statement in n4_cypher.schema_statements():
        for pattern, found in ((_CONSTRAINT, constraints), (_NODE_INDEX, indexes)):
            match = pattern.match(statement)
            if match:
                names.append(match.group(1))
                found.add((match.group(2), match.group(3)))
                break
        else:
            match = _REL_INDEX.match(statement)
            assert match, f"unexpected schema statement: {statement}"
            names.append(match.group(1))
            indexes.add((match.group(2), match.group(3)))
    return constraints, indexes, names


def test_every_node_key_has_a_uniqueness_constraint_and_nothing_else_does() -> None:
    constraints, _, _ = _parsed_schema()
    assert constraints == {(node.label, node.key) for node in model.NODES.values()}


def test_every_index_is_on_a_property_the_model_declares_and_not_on_a_key() -> None:
    _, indexes, names = _parsed_schema()
    assert len(names) == len(set(names)), "two schema objects share a name"
    for owner, prop in indexes:
        if owner in model.NODES:
            assert prop in model.node(owner).properties, (owner, prop)
        else:
            assert prop in model.relationship(owner).properties, (owner, prop)
    assert indexes == {(o, p) for o, props in n4_cypher.INDEXED.items() for p in props}


_BINDING = re.compile(r"[(\[](\w+):(\w+)")
_FILTER = re.compile(r"\b(\w+)\.(\w+)\s*(?:=|<|>|IN\b|IS NOT NULL)")
_WHERE = re.compile(
    r"\bWHERE\b(.*?)(?=\bRETURN\b|\bWITH\b|\bMATCH\b|\bOPTIONAL\b|\bUNION\b|$)", re.S
)


def filtered_properties(text: str) -> set[tuple[str, str]]:
    """(label or type, property) of every ``var.prop`` compared in a WHERE of ``text``."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    bound = dict(_BINDING.findall(body))
    found = set()
    for clause in _WHERE.findall(body):
        for var, prop in _FILTER.findall(clause):
            if var in bound:
                found.add((bound[var], prop))
    return found


def test_filtered_properties_reads_where_clauses() -> None:
    text = (
        "// WHERE x.ignored = 1\nMATCH (c:Customer)-[r:RELATED]->(t:Touchpoint)\n"
        "WHERE t.at >= $since AND r.kind IN $kinds AND c.name IS NOT NULL "
        "AND toLower(t.outcome) = 'x' RETURN t.channel"
    )
    assert filtered_properties(text) == {
        ("Touchpoint", "at"),
        ("RELATED", "kind"),
        ("Customer", "name"),
    }


def test_every_property_a_named_query_filters_on_is_indexed_or_a_key() -> None:
    covered = {(o, p) for o, props in n4_cypher.INDEXED.items() for p in props}
    covered |= {(node.label, node.key) for node in model.NODES.values()}
    missing = {}
    for name in named_queries.names():
        for owner, prop in filtered_properties(named_queries.get(name, "neo4j").text):
            if (owner, prop) not in covered:
                missing.setdefault(f"{owner}.{prop}", []).append(name)
    assert not missing, f"add these to graph360.store.neo4j_cypher.INDEXED: {missing}"


def test_merge_texts_set_exactly_the_given_properties() -> None:
    text = n4_cypher.merge_nodes_text("Customer", ["name", "city"])
    assert text == (
        "UNWIND $rows AS row MERGE (n:Customer {customer_id: row.customer_id}) "
        "SET n.name = row.name, n.city = row.city"
    )
    assert "SET" not in n4_cypher.merge_nodes_text("Customer", [])
    related = n4_cypher.merge_relationships_text("RELATED", ["weight"])
    assert "MERGE (a)-[r:RELATED {kind: row.kind}]->(b) SET r.weight = row.weight" in related
    assert "MERGE (a)-[r:HOLDS]->(b) RETURN" in n4_cypher.merge_relationships_text("HOLDS", [])


def test_only_model_names_reach_query_text() -> None:
    with pytest.raises(KeyError):
        n4_cypher.merge_nodes_text("Customer) DETACH DELETE (x", [])
    with pytest.raises(StoreError, match="plain identifier"):
        n4_cypher.merge_nodes_text("Customer", ["name = 1 DETACH DELETE n //"])


# --- batching ----------------------------------------------------------------------------------


def test_batches_cover_every_row_once_in_order() -> None:
    rows = list(range(23))
    for size in (1, 5, 22, 23, 24, 1000):
        parts = [list(b) for b in n4_cypher.batches(rows, size)]
        assert [r for part in parts for r in part] == rows
        assert all(len(p) == size for p in parts[:-1])
        assert 1 <= len(parts[-1]) <= size
        assert len(parts) == -(-len(rows) // size)
    assert list(n4_cypher.batches([], 10)) == []
    with pytest.raises(ValueError):
        list(n4_cypher.batches(rows, 0))


def test_the_last_row_for_a_key_wins() -> None:
    rows = [{"k": "a", "v": 1}, {"k": "b", "v": 2}, {"k": "a", "v": 3}, {"k": "c", "v": 4}]
    assert n4_cypher.last_wins(rows, ["k"]) == [
        {"k": "b", "v": 2},
        {"k": "a", "v": 3},
        {"k": "c", "v": 4},
    ]
    pairs = [{"f": 1, "t": 2, "kind": "x"}, {"f": 1, "t": 2, "kind": "y"}]
    assert n4_cypher.last_wins(pairs, ["f", "t", "kind"]) == pairs
    assert n4_cypher.last_wins(pairs, ["f", "t"]) == pairs[1:]


def test_the_batch_size_is_a_sane_constant() -> None:
    assert 1_000 <= n4_cypher.BATCH_ROWS <= 50_000


# --- connecting and values --------------------------------------------------------------------


def test_credentials_come_from_the_uri_or_the_environment() -> None:
    assert n4.split_credentials("neo4j+s://u:p%40ss@db.example:7687/x") == (
        "neo4j+s://db.example:7687/x",
        ("u", "p@ss"),
    )
    assert n4.split_credentials("bolt://localhost:7687") == ("bolt://localhost:7687", None)
    assert n4.credentials_from_env({}) is None
    assert n4.credentials_from_env({n4.ENV_PASSWORD: "pw"}) == ("neo4j", "pw")
    assert n4.credentials_from_env({n4.ENV_PASSWORD: "pw", n4.ENV_USER: "ops"}) == ("ops", "pw")


def test_parameters_travel_as_the_store_keeps_them() -> None:
    aware = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    sent = n4.parameter(
        {
            "at": aware,
            "day": dt.date(2024, 5, 1),
            "ts": pd.Timestamp("2024-05-01 10:00"),
            "ids": pd.Series(["a", "b"]),
            "n": pd.Series([3]).iloc[0],
            "nested": [{"at": aware}],
        }
    )
    assert sent == {
        "at": dt.datetime(2024, 5, 1, 10, 0),
        "day": dt.datetime(2024, 5, 1),
        "ts": dt.datetime(2024, 5, 1, 10, 0),
        "ids": ["a", "b"],
        "n": 3,
        "nested": [{"at": dt.datetime(2024, 5, 1, 10, 0)}],
    }
    assert type(sent["n"]) is int


# --- what the store asks of the driver (a recording double) ------------------------------------


class _Result:
    def __init__(self, keys: list[str], rows: list[list[Any]], counters: dict[str, int]) -> None:
        self._keys, self._rows, self._counters = keys, rows, counters

    def keys(self) -> list[str]:
        return self._keys

    def __iter__(self) -> Iterator[Any]:
        for row in self._rows:
            yield SimpleNamespace(
                values=lambda row=row: row,
                data=lambda row=row: dict(zip(self._keys, row, strict=True)),
            )

    def consume(self) -> Any:
        counters = {"nodes_created": 0, "relationships_created": 0, **self._counters}
        return SimpleNamespace(counters=SimpleNamespace(**counters))


class _Server:
    """Records (kind of transaction, text, parameters); answers MERGE batches as if every row
    were new, except ``missing`` rows per relationship batch that found no endpoint."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.sessions: list[dict[str, Any]] = []
        self.missing = 0
        self.explicit: list[str] = []

    def run(self, kind: str, text: str, params: dict[str, Any]) -> _Result:
        self.calls.append((kind, text, params))
        rows = params.get("rows", [])
        if text.startswith("UNWIND $rows") and "RETURN count(r) AS written" in text:
            written = len(rows) - self.missing
            return _Result(["written"], [[written]], {"relationships_created": written})
        if text.startswith("UNWIND $rows"):
            return _Result([], [], {"nodes_created": len(rows)})
        if text.startswith("UNWIND $keys"):
            return _Result(["k"], [[k] for k in params["keys"] if k != "absent"], {})
        return _Result(["n"], [[1]], {})


class _Tx:
    def __init__(self, server: _Server, kind: str) -> None:
        self.server, self.kind = server, kind

    def run(self, text: str, params: dict[str, Any]) -> _Result:
        if self.kind == "explicit" and "boom" in text:
            raise neo4j.exceptions.Neo4jError._hydrate_neo4j(  # as the driver builds it
                code="Neo.ClientError.Statement.SyntaxError", message="the server refused it"
            )
        return self.server.run(self.kind, text, params)

    def commit(self) -> None:
        self.server.explicit.append("commit")

    def rollback(self) -> None:
        self.server.explicit.append("rollback")
        raise neo4j.exceptions.TransactionError("the transaction has been terminated")


class _Session:
    def __init__(self, server: _Server) -> None:
        self.server = server

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute_read(self, fn: Any, *args: Any) -> Any:
        return fn(_Tx(self.server, "read"), *args)

    def execute_write(self, fn: Any, *args: Any) -> Any:
        return fn(_Tx(self.server, "write"), *args)

    def begin_transaction(self) -> _Tx:
        self.server.explicit.append("begin")
        return _Tx(self.server, "explicit")

    def close(self) -> None: ...


class _Driver:
    def __init__(self, server: _Server, uri: str, auth: Any) -> None:
        self.server, self.uri, self.auth = server, uri, auth

    def session(self, **config: Any) -> _Session:
        self.server.sessions.append(config)
        return _Session(self.server)

    def verify_connectivity(self) -> None: ...

    def close(self) -> None: ...


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    fake = _Server()
    drivers: list[_Driver] = []

    def driver(uri: str, *, auth: Any = None, **config: Any) -> _Driver:
        drivers.append(_Driver(fake, uri, auth))
        return drivers[-1]

    n4.close_drivers()
    monkeypatch.setattr(neo4j.GraphDatabase, "driver", driver)
    monkeypatch.delenv(n4.ENV_PASSWORD, raising=False)
    fake.drivers = drivers  # type: ignore[attr-defined]
    yield fake
    n4.close_drivers()


def test_open_store_opens_neo4j_uris_and_applies_the_schema_once(server: _Server) -> None:
    store = open_store("neo4j://db.example:7687")
    assert isinstance(store, n4.Neo4jStore)
    assert store.location == "neo4j://db.example:7687"
    texts = [text for _, text, _ in server.calls]
    assert texts == [*n4_cypher.schema_statements(), n4_cypher.AWAIT_INDEXES]
    assert {kind for kind, _, _ in server.calls} == {"write"}
    open_store("neo4j://db.example:7687")
    assert len(server.calls) == len(texts), "the schema was applied again by the same process"


def test_one_driver_per_uri_and_credentials(server: _Server) -> None:
    a = n4.Neo4jStore("bolt://h:7687", auth=("u", "p"))
    b = n4.Neo4jStore("bolt://u:p@h:7687")
    c = n4.Neo4jStore("bolt://h:7687", auth=("v", "p"))
    assert a._driver is b._driver
    assert a._driver is not c._driver
    assert len(server.drivers) == 2  # type: ignore[attr-defined]
    assert server.drivers[0].auth == ("u", "p")  # type: ignore[attr-defined]


def test_reads_and_writes_go_through_managed_transactions_sharing_bookmarks(
    server: _Server,
) -> None:
    store = n4.Neo4jStore("neo4j://h")
    store.query("customer_profile", customer_id="c1")
    store.write("forget_last_load")
    assert [kind for kind, _, _ in server.calls] == ["read", "write"]
    managers = {id(config["bookmark_manager"]) for config in server.sessions}
    assert len(managers) == 1 and server.sessions[0]["bookmark_manager"] is not None


def test_write_queries_are_never_run_as_reads() -> None:
    """A named query that writes must be called with ``store.write``: on Neo4j ``query`` runs
    it in a read transaction, which the server refuses (and a cluster sends to a follower)."""
    writes = {
        name
        for name in named_queries.names()
        if re.search(
            r"\b(MERGE|CREATE|SET|DELETE|REMOVE)\b", _code(named_queries.get(name, "neo4j").text)
        )
    }
    assert writes, "no write query found: the pattern is broken"
    source = "\n".join(p.read_text() for p in Path(n4.__file__).parents[1].rglob("*.py"))
    for name in writes:
        assert not re.search(rf"\.(query|frame)\(\s*[\"']{name}[\"']", source), name


def _code(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def test_upserts_send_deduplicated_typed_rows_in_batches(server: _Server) -> None:
    store = n4.Neo4jStore("neo4j://h", batch_rows=3)
    rows = pa.table(
        {
            "touchpoint_id": ["t1", "t2", "t3", "t1", "t4", "t5", "t6"],
            "value": pa.array([1, 2, 3, 4, 5, 6, 7], pa.int64()),
        }
    )
    assert store.upsert_nodes("Touchpoint", rows) == 6
    batches = [params["rows"] for kind, _, params in server.calls]
    assert [len(b) for b in batches] == [3, 3]
    assert {kind for kind, _, _ in server.calls} == {"write"}
    sent = [row for batch in batches for row in batch]
    assert sent[0] == {"touchpoint_id": "t2", "value": 2.0}
    assert type(sent[0]["value"]) is float, "a DOUBLE must reach Neo4j as a float"
    assert {r["touchpoint_id"]: r["value"] for r in sent}["t1"] == 4.0  # the last row won


def test_a_relationship_naming_a_missing_node_is_refused(server: _Server) -> None:
    store = n4.Neo4jStore("neo4j://h")
    rows = pa.table({"from": ["a", "b"], "to": ["x", "y"], "role": ["owner", None]})
    assert store.upsert_relationships("HOLDS", rows) == 2
    assert server.calls[-1][2]["rows"][0] == {"source": "a", "target": "x", "role": "owner"}
    server.missing = 1
    with pytest.raises(StoreError, match="1 of 2 HOLDS relationships name a Customer or Account"):
        store.upsert_relationships("HOLDS", rows)
    with pytest.raises(StoreError, match="kind"):
        store.upsert_relationships("RELATED", pa.table({"from": ["a"], "to": ["b"]}))


def test_existing_keys_and_get_nodes_look_up_in_batches(server: _Server) -> None:
    store = n4.Neo4jStore("neo4j://h", batch_rows=2)
    found = store.existing_keys("Customer", pa.array(["a", "b", "absent", "a", "c"]))
    assert found.to_pylist() == ["a", "b", "c"]
    assert [len(p["keys"]) for _, _, p in server.calls] == [2, 2]
    assert {kind for kind, _, _ in server.calls} == {"read"}


def test_atomic_is_one_explicit_transaction_that_commits(server: _Server) -> None:
    store = n4.Neo4jStore("neo4j://h")
    with store.atomic():
        store.upsert_nodes("Customer", pa.table({"customer_id": ["a"]}))
        with store.atomic():  # nested: joins the outer transaction
            store.query("customer_profile", customer_id="a")
    assert server.explicit == ["begin", "commit"]
    assert [kind for kind, _, _ in server.calls] == ["explicit", "explicit"]
    store.query("customer_profile", customer_id="a")
    assert server.calls[-1][0] == "read", "after the block, reads are managed again"


def test_the_error_that_aborted_an_atomic_block_is_the_one_reported(server: _Server) -> None:
    """The rollback fails here too (the server ended the transaction already); the caller still
    sees the error that caused it."""
    store = n4.Neo4jStore("neo4j://h")
    with pytest.raises(StoreError, match="the server refused it"), store.atomic():
        store._run("boom", {}, write=True)
    assert server.explicit == ["begin", "rollback"]
    with pytest.raises(ValueError, match="mine"), store.atomic():
        raise ValueError("mine")
    assert server.explicit[-1] == "rollback"


def test_a_read_only_store_refuses_writes(server: _Server) -> None:
    store = open_store("neo4j://h", read_only=True)
    assert server.calls == [], "a read-only open applied the schema"
    with pytest.raises(StoreError, match="read-only"):
        store.upsert_nodes("Customer", pa.table({"customer_id": ["a"]}))
    with pytest.raises(StoreError, match="read-only"):
        store.write("forget_last_load")


def test_frames_are_typed_as_the_embedded_store_types_them(
    server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = n4.Neo4jStore("neo4j://h")
    at = dt.datetime(2024, 5, 1, 9, 30)
    answer = (["at", "n", "name"], [[at, 1, "a"], [None, None, None]])
    monkeypatch.setattr(store, "_run_keyed", lambda *args, **kwargs: answer)
    frame = store._frame("MATCH (n) RETURN n", {})
    assert str(frame["at"].dtype) == "datetime64[us]" and pd.isna(frame["at"][1])
    assert str(frame["n"].dtype) == "float64"
    assert frame["name"][0] == "a" and pd.isna(frame["name"][1])
    monkeypatch.setattr(store, "_run_keyed", lambda *args, **kwargs: (["at", "n"], []))
    empty = store._frame("MATCH (n) RETURN n", {})
    assert list(empty.columns) == ["at", "n"] and empty.empty


def test_an_atomic_block_in_one_thread_does_not_capture_anothers_reads(server: _Server) -> None:
    """The API shares one store between its threads: an analytics write in progress must not
    pull the card's reads into its uncommitted transaction."""
    import threading

    store = n4.Neo4jStore("neo4j://h")
    with store.atomic():
        worker = threading.Thread(
            target=store.query, args=("customer_profile",), kwargs={"customer_id": "a"}
        )
        worker.start()
        worker.join()
        store.query("customer_profile", customer_id="a")
    assert [kind for kind, _, _ in server.calls] == ["read", "explicit"]


def test_an_unreachable_server_is_one_line_and_exit_1_not_a_traceback() -> None:
    from typer.testing import CliRunner

    from graph360.cli import EXIT_REFUSED, app

    n4.close_drivers()
    done = CliRunner().invoke(app, ["stats", "--store", "bolt://127.0.0.1:1"])
    n4.close_drivers()
    assert done.exit_code == EXIT_REFUSED
    assert "cannot use the Neo4j server at bolt://127.0.0.1:1" in done.stderr
    assert "Connection refused" in done.stderr and "Traceback" not in done.stderr
