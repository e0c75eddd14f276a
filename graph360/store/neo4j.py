"""The Neo4j store: the same graph360 on a Neo4j 5 server, cluster or Aura, via the official driver.

How it talks to the server, and why:

- **One driver per process** for each (URI, user, password): a driver owns the connection pool
  and the cluster's routing table, so every store opened on the same server shares it
  (``shared_driver``; closed at exit).
- **Reads through ``execute_read``, writes through ``execute_write``**: a cluster routes reads to
  followers, and the driver retries a transaction function on transient errors (leader switch,
  deadlock, lost connection) for up to ``max_transaction_retry_time``. That is safe only because
  every write sent here is idempotent: ``UNWIND $rows … MERGE`` by key.
- **Bookmarks**: every session of a driver shares one ``BookmarkManager``, so a read after a
  write — from any store of this process on that server — sees the write, even on a follower.
- **``atomic()`` is one explicit transaction** on one session: every write inside goes through
  it, and so does every read (it must see the writes not yet committed). An explicit
  transaction is not retried by the driver; a transient error inside fails the whole block, which
  leaves the graph unchanged, and the caller runs it again (a load is idempotent).
- **Nothing but the model's labels, types and property names** is written into query text
  (checked by ``neo4j_cypher._name``); every value travels as a ``$parameter``.

Every text this module can send is listed by ``neo4j_cypher.generated_statements()`` and
linted with Neo4j's own parser by ``tests/test_cypher_lint.py``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import neo4j
import numpy as np
import pandas as pd
import pyarrow as pa
from neo4j.api import BookmarkManager
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable

from graph360 import model
from graph360.errors import QueryTimeoutError, StoreError
from graph360.store.base import GraphStore, plain
from graph360.store.neo4j_cypher import (
    AWAIT_INDEXES,
    BATCH_ROWS,
    DELETE_SOME,
    batches,
    last_wins,
    lookup_text,
    merge_nodes_text,
    merge_relationships_text,
    schema_statements,
)

log = logging.getLogger(__name__)

#: Nodes per ``DETACH DELETE`` transaction when emptying a database (``delete_everything``).
DELETE_BATCH = 10_000
#: Settings read from the environment (documented in the README).
ENV_USER, ENV_PASSWORD, ENV_DATABASE = (
    "GRAPH360_NEO4J_USER",
    "GRAPH360_NEO4J_PASSWORD",
    "GRAPH360_NEO4J_DATABASE",
)


def split_credentials(uri: str) -> tuple[str, tuple[str, str] | None]:
    """``uri`` without any ``user:password@`` in it, and those credentials if it had them."""
    parts = urlsplit(uri)
    if parts.username is None:
        return uri, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, (unquote(parts.username), unquote(parts.password or ""))


def credentials_from_env(env: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """(user, password) from GRAPH360_NEO4J_USER (default ``neo4j``) and _PASSWORD; no password
    means a server with authentication switched off."""
    password = env.get(ENV_PASSWORD)
    if password is None:
        return None
    return env.get(ENV_USER) or "neo4j", password


_DRIVERS: dict[tuple[str, tuple[str, str] | None], tuple[neo4j.Driver, BookmarkManager]] = {}
_DRIVERS_LOCK = threading.Lock()
_SCHEMA_APPLIED: set[tuple[int, str | None]] = set()


def shared_driver(uri: str, auth: tuple[str, str] | None) -> tuple[neo4j.Driver, BookmarkManager]:
    """This process's driver for (uri, auth), created on first use, and its bookmark manager."""
    key = (uri, auth)
    with _DRIVERS_LOCK:
        if key not in _DRIVERS:
            driver = neo4j.GraphDatabase.driver(
                uri, auth=auth, user_agent="graph360", max_transaction_retry_time=30.0
            )
            _DRIVERS[key] = (driver, neo4j.GraphDatabase.bookmark_manager())
        return _DRIVERS[key]


@atexit.register
def close_drivers() -> None:
    """Close every shared driver (at exit; tests may call it too)."""
    with _DRIVERS_LOCK:
        for driver, _ in _DRIVERS.values():
            driver.close()
        _DRIVERS.clear()
        _SCHEMA_APPLIED.clear()


def parameter(value: Any) -> Any:
    """A value as the driver should send it, stored the way the embedded store stores it:
    datetimes as naive UTC (LocalDateTime — a zoned DateTime never compares equal or ordered
    with one, the comparison is null), a date as midnight, numpy and pandas scalars as Python."""
    if isinstance(value, dict):
        return {k: parameter(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Series | pd.Index):
        return [parameter(v) for v in value]
    if isinstance(value, pd.Timestamp):
        value = None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return value


def _plain_deep(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain_deep(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_deep(v) for k, v in value.items()}
    return plain(value)


def _fetch(tx: neo4j.ManagedTransaction | neo4j.Transaction, text: str, params: dict[str, Any]):
    """Run ``text`` and read every row inside the transaction (a result dies with it)."""
    result = tx.run(text, params)
    keys = list(result.keys())
    rows = [[_plain_deep(v) for v in record.values()] for record in result]
    return keys, rows


def _write(tx: neo4j.ManagedTransaction | neo4j.Transaction, text: str, params: dict[str, Any]):
    """Run a write and return (its rows, its counters)."""
    result = tx.run(text, params)
    rows = [record.data() for record in result]
    return rows, result.consume().counters


@contextmanager
def _translated(location: str) -> Iterator[None]:
    """Driver errors as graph360's StoreError, with their first line only."""
    try:
        yield
    except (AuthError, ServiceUnavailable) as error:
        raise StoreError(f"cannot use the Neo4j server at {location}: {_first_line(error)}") from (
            error
        )
    except Neo4jError as error:
        if "TransactionTimedOut" in (error.code or ""):  # a read past for_short_queries' limit
            raise QueryTimeoutError(
                "the request took longer than its time limit and was stopped: ask for less "
                "(fewer rows, pages or fields)"
            ) from error
        raise StoreError(_first_line(error)) from error
    except DriverError as error:
        raise StoreError(_first_line(error)) from error


def _first_line(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error)
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if lines[0].endswith(":") and len(lines) > 1:  # "Couldn't connect to …:" then the reason
        return f"{lines[0]} {lines[1]}"
    return lines[0]


class Neo4jStore(GraphStore):
    """A Neo4j 5 database (a server, a cluster or Aura) holding the graph360 model."""

    backend = "neo4j"

    def __init__(
        self,
        uri: str,
        *,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        read_only: bool = False,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        bare, in_uri = split_credentials(uri)
        self.location = bare
        self.read_only = read_only
        self.batch_rows = batch_rows
        self._database = database or os.environ.get(ENV_DATABASE) or None
        self._driver, self._bookmarks = shared_driver(
            bare, auth or in_uri or credentials_from_env()
        )
        # The open atomic() transaction belongs to the thread that opened it: a server shares one
        # store between threads (the API's), and another thread's reads must not join it.
        self._local = threading.local()
        with _translated(self.location):
            self._driver.verify_connectivity()

    @property
    def _tx(self) -> neo4j.Transaction | None:
        return getattr(self._local, "tx", None)

    @_tx.setter
    def _tx(self, tx: neo4j.Transaction | None) -> None:
        self._local.tx = tx

    @property
    def _session(self) -> neo4j.Session | None:
        return getattr(self._local, "session", None)

    @_session.setter
    def _session(self, session: neo4j.Session | None) -> None:
        self._local.session = session

    def for_short_queries(self, seconds: float | None = None) -> None:
        """The server plans and runs each query on its own cores; ``seconds`` becomes the
        timeout of this thread's read transactions (the server stops them)."""
        self._local.timeout = seconds

    def close(self) -> None:
        """End this thread's open transaction, if any; the shared driver stays for others."""
        if self._tx is not None:
            self._end_transaction(commit=False)

    def _new_session(self) -> neo4j.Session:
        return self._driver.session(database=self._database, bookmark_manager=self._bookmarks)

    # --- schema -------------------------------------------------------------------------------

    def apply_schema(self) -> None:
        if self.read_only:
            return
        applied = (id(self._driver), self._database)
        if applied in _SCHEMA_APPLIED:  # the statements are idempotent; this saves round trips
            return
        for statement in schema_statements():
            self._run(statement, {}, write=True)
        self._run(AWAIT_INDEXES, {}, write=True)
        _SCHEMA_APPLIED.add(applied)

    def delete_everything(self, batch: int = DELETE_BATCH) -> int:
        """Delete every node and relationship, ``batch`` nodes per transaction (a test database
        is emptied this way; one huge DETACH DELETE could exhaust the server's memory).
        Constraints and indexes stay. Returns how many nodes were deleted."""
        total = 0
        while True:
            deleted = int(self._run(DELETE_SOME, {"batch": batch}, write=True)[0]["deleted"])
            total += deleted
            if deleted < batch:
                return total

    # --- bulk writes --------------------------------------------------------------------------

    def upsert_nodes(self, label: str, rows: pa.Table) -> int:
        node = model.node(label)
        if node.key not in rows.column_names:
            raise StoreError(f"{label} rows without their key column {node.key!r}")
        given = [p for p in node.properties if p in rows.column_names]
        records = last_wins(_typed(rows, node.arrow_schema(), [node.key, *given]), [node.key])
        _, created = self._write_batches(merge_nodes_text(label, given), records, "nodes_created")
        return created

    def upsert_relationships(self, rel_type: str, rows: pa.Table, *, new: bool = False) -> int:
        # ``new`` changes nothing here: MERGE finds an absent relationship through the key
        # constraint's index at the cost of a create.
        rel = model.relationship(rel_type)
        absent = [c for c in ("from", "to", *rel.identity) if c not in rows.column_names]
        if absent:
            raise StoreError(f"{rel_type} rows without the columns {absent}")
        given = [p for p in rel.properties if p in rows.column_names and p not in rel.identity]
        records = _typed(rows, rel.arrow_schema(), ["from", "to", *rel.identity, *given])
        # "from" and "to" travel as "source" and "target": the map keys read better in Cypher
        for record in records:
            record["source"], record["target"] = record.pop("from"), record.pop("to")
        records = last_wins(records, ["source", "target", *rel.identity])
        text = merge_relationships_text(rel_type, given)
        written, created = self._write_batches(text, records, "relationships_created")
        if written != len(records):
            raise StoreError(
                f"{len(records) - written} of {len(records)} {rel_type} relationships name a "
                f"{rel.source} or {rel.target} that is not in the store"
            )
        return created

    def _write_batches(
        self, text: str, records: list[dict[str, Any]], counter: str
    ) -> tuple[int, int]:
        """Send ``records`` in batches of ``batch_rows``; returns (rows the statement reported
        as written, the summed ``counter``). Outside ``atomic()`` each batch is its own retried
        transaction function (idempotent: MERGE by key)."""
        self._refuse_if_read_only()
        written = counted = 0
        with _translated(self.location), self._maybe_session() as session:
            for batch in batches(records, self.batch_rows):
                params = {"rows": list(batch)}
                started = time.perf_counter()
                if self._tx is not None:
                    rows, counters = _write(self._tx, text, params)
                else:
                    assert session is not None
                    rows, counters = session.execute_write(_write, text, params)
                seconds = time.perf_counter() - started
                log.debug("%.3f s  %d rows  %s", seconds, len(batch), text[:80])
                written += int(rows[0]["written"]) if rows and "written" in rows[0] else 0
                counted += getattr(counters, counter)
        return written, counted

    @contextmanager
    def _maybe_session(self) -> Iterator[neo4j.Session | None]:
        """A session for a run of transaction functions, or none inside ``atomic()``."""
        if self._tx is not None:
            yield None
            return
        with self._new_session() as session:
            yield session

    def existing_keys(self, label: str, keys: pa.Array | pa.ChunkedArray) -> pa.Array:
        key = model.node(label).key
        found = self._lookup(label, [key], keys)
        return pa.array([row[0] for row in found], pa.string())

    def get_nodes(self, label: str, keys: pa.Array | pa.ChunkedArray) -> pa.Table:
        node = model.node(label)
        columns = list(node.columns)
        found = self._lookup(label, columns, keys)
        return pa.Table.from_pylist(
            [dict(zip(columns, row, strict=True)) for row in found], schema=node.arrow_schema()
        )

    def _lookup(
        self, label: str, columns: list[str], keys: pa.Array | pa.ChunkedArray
    ) -> list[list[Any]]:
        unique = list(dict.fromkeys(k for k in keys.cast(pa.string()).to_pylist() if k is not None))
        text = lookup_text(label, columns)
        rows: list[list[Any]] = []
        for batch in batches(unique, self.batch_rows):
            rows += self._run_keyed(text, {"keys": list(batch)}, write=False)[1]
        return rows

    # --- running Cypher -----------------------------------------------------------------------

    def _run(self, text: str, params: dict[str, Any], *, write: bool) -> list[dict[str, Any]]:
        keys, rows = self._run_keyed(text, params, write=write)
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def _frame(self, text: str, params: dict[str, Any]) -> pd.DataFrame:
        """Rows as a frame typed as the embedded store types them: through Arrow, so times are
        datetime64, integers with nulls are floats, and the columns are there with no rows."""
        keys, rows = self._run_keyed(text, params, write=False)
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in keys]
        try:
            return pa.table(
                {k: pa.array(list(c)) for k, c in zip(keys, columns, strict=True)}
            ).to_pandas()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return pd.DataFrame(rows, columns=keys)  # mixed types in a column: left as objects

    def _run_keyed(
        self, text: str, params: dict[str, Any], *, write: bool
    ) -> tuple[list[str], list[list[Any]]]:
        """Column names and rows of one statement, in the open transaction if there is one."""
        if write:
            self._refuse_if_read_only()
        params = parameter(params)
        started = time.perf_counter()
        with _translated(self.location):
            if self._tx is not None:
                answer = _fetch(self._tx, text, params)
            else:
                with self._new_session() as session:
                    work = session.execute_write if write else session.execute_read
                    timeout = None if write else getattr(self._local, "timeout", None)
                    fetch = neo4j.unit_of_work(timeout=timeout)(_fetch) if timeout else _fetch
                    answer = work(fetch, text, params)
        log.debug("%.3f s  %s", time.perf_counter() - started, " ".join(text.split())[:90])
        return answer

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise StoreError(f"the store at {self.location} was opened read-only")

    # --- atomic(): GraphStore nests the blocks, these open and end the transaction ---------

    def _begin(self) -> None:
        """One explicit transaction on a session of this thread's own for everything inside."""
        with _translated(self.location):
            self._session = self._new_session()
            try:
                self._tx = self._session.begin_transaction()
            except BaseException:
                self._session.close()
                self._session = None
                raise

    def _commit(self) -> None:
        self._end_transaction(commit=True)

    def _rollback(self) -> None:
        self._end_transaction(commit=False)

    def _end_transaction(self, *, commit: bool) -> None:
        """Commit or roll back the open transaction; a failed rollback never hides the error
        that caused it (the server may have ended the transaction already)."""
        tx, session = self._tx, self._session
        self._tx, self._session = None, None
        try:
            if tx is None:
                return
            if commit:
                with _translated(self.location):
                    tx.commit()
            else:
                try:
                    tx.rollback()
                except (Neo4jError, DriverError) as error:
                    log.debug("rollback: %s", error)
        finally:
            if session is not None:
                session.close()


def _typed(rows: pa.Table, schema: pa.Schema, columns: list[str]) -> list[dict[str, Any]]:
    """``columns`` of ``rows`` in the model's types, as Python dicts (what the driver sends).

    A DOUBLE given as integers is sent as floats: Neo4j keeps the type it is sent, and a sum
    over a property must not change type with the source file."""
    arrays = [rows.column(c).cast(schema.field(c).type) for c in columns]
    return pa.Table.from_arrays(arrays, names=columns).to_pylist()
