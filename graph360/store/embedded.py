"""The embedded store: LadybugDB, an on-disk property graph in this process, no server.

LadybugDB has a declared schema, generated here from ``graph360.model``. Bulk writes use
``COPY … FROM`` an Arrow table for new rows (about a million rows a second) and ``LOAD FROM``
for rows that already exist; ``UNWIND $rows … MERGE`` is ~300 times slower here and is not used.
Both bulk steps cost time that grows with the table, not the batch (finding a batch's existing
rows joins it with the whole table), so an upsert of a few rows (``SMALL_NODE_ROWS``,
``SMALL_RELATIONSHIP_ROWS``) goes a row at a time by key instead, with the same result.

Two LadybugDB behaviours shape this module (0.22.0, measured):

- a ``COPY`` of a key that already exists crashes the process, so new and existing keys are
  always separated before copying;
- after a ``ROLLBACK`` of a transaction that ran ``COPY``, the next ``COPY`` on the same
  database object crashes the process, so a rollback reopens the database.

Why one file of some 540 lines: it is one class, the ``GraphStore`` interface on this engine,
and most of its length is the engine's bulk paths with the workarounds above, each next to the
statement it guards; split apart, a reader would see a ``COPY`` without the reason it is
written so.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ladybug
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph360 import model
from graph360.errors import QueryTimeoutError, StoreError, StoreLockedError
from graph360.store.base import GraphStore, plain

log = logging.getLogger(__name__)
#: Rows per LOAD FROM statement (see EmbeddedStore._load_from).
LOAD_FROM_ROWS = 500_000
#: Up to this many keys, the relationships at nodes are read or deleted a statement per key
#: (a primary-key look-up: 0.12-0.18 ms a key at 1M/10M); past it, one LOAD FROM join, which
#: scans the relationship table whatever the count (2.5 s for AT_STEP, 13 s for HAD).
KEYS_ONE_BY_ONE = 5_000
#: Upserts of up to this many rows go a row at a time by key; bigger ones in bulk. By key costs
#: 0.5-1 ms a row whatever the graph's size (bench/small_writes.py, 2 cores). The bulk path costs
#: ~10-25 ms a node batch even at 1M customers (its key probe uses the primary-key index), so
#: nodes switch early; but a relationship batch costs 0.15-0.9 s at 200k touchpoints and ~7 s at
#: 10M (its probe and COPY grow with the table), so up to 256 relationships (a quarter of a
#: second by key at most) go by key.
SMALL_NODE_ROWS = 32
SMALL_RELATIONSHIP_ROWS = 256
#: Labels many relationships meet at (a step has a million touchpoints): a relationship with
#: one of these at its source and not at its target is looked up from its target.
_HUBS = frozenset({"Customer", "Department", "JourneyStep", "Campaign", "Journey", "Product"})
_LOCK_HOLDER = re.compile(r"Lock is held by PID (\d+)")
#: LadybugDB's refusal of a read-only open after a writer was killed during a checkpoint.
_RECOVERY_PENDING = "checkpoint recovery is pending"


class EmbeddedStore(GraphStore):
    """A LadybugDB database file; one read-write process at a time."""

    backend = "ladybug"
    reads_arrow_rows = True

    def __init__(
        self, path: str | Path, *, read_only: bool = False, checkpoint_bytes: int | None = None
    ) -> None:
        """``checkpoint_bytes``: the write-ahead log's size past which a commit checkpoints
        (LadybugDB's ``checkpoint_threshold``; None: its default, 16 MiB)."""
        self.path = Path(path)
        self.location = str(self.path)
        self.read_only = read_only
        self.checkpoint_bytes = checkpoint_bytes
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise StoreError(f"no graph360 database at {self.path}: load a bundle or run the demo")
        self._short_query_threads: dict[int, float | None] = {}  # thread -> time limit
        self._open()

    def _open(self) -> None:
        try:
            self._db = ladybug.Database(
                str(self.path),
                read_only=self.read_only,
                checkpoint_threshold=self.checkpoint_bytes or -1,
            )
        except RuntimeError as error:
            if not (self.read_only and _RECOVERY_PENDING in str(error)):
                raise _open_error(self.path, error) from error
            self._finish_checkpoint()
            self._db = ladybug.Database(str(self.path), read_only=True)
        # One connection (so one transaction) per thread: the API reads from two threads
        # at once, so an analytics projection does not hold up a 360 card.
        self._local = threading.local()
        self._connections: list[ladybug.Connection] = []
        self._connections_lock = threading.Lock()

    def _finish_checkpoint(self) -> None:
        """Complete the checkpoint a killed writer left half-done, which LadybugDB does only
        when the database is opened for writing (a read-only open is refused until then). If
        another process holds the database, it is the one checkpointing: it is named."""
        log.warning("finishing the checkpoint an earlier process left half-done at %s", self.path)
        try:
            ladybug.Database(str(self.path)).close()
        except RuntimeError as error:
            raise _open_error(self.path, error) from error

    @property
    def _conn(self) -> ladybug.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = ladybug.Connection(self._db)
            if threading.get_ident() in self._short_query_threads:
                self._limit(conn, self._short_query_threads[threading.get_ident()])
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def for_short_queries(self, seconds: float | None = None) -> None:
        """One core per query on this thread (kept across a reopen): for a 360 card's key
        lookups, spreading over cores costs more than it gives. With it, the API's two read
        threads answered 53 cards/s, against 46 without (bench/api.py, 1M customers, 2 cores).
        With ``seconds``, the engine interrupts a query of this thread that runs longer."""
        self._short_query_threads[threading.get_ident()] = seconds
        self._limit(self._conn, seconds)

    @staticmethod
    def _limit(conn: ladybug.Connection, seconds: float | None) -> None:
        conn.set_max_threads_for_exec(1)
        if seconds:
            conn.set_query_timeout(max(1, int(seconds * 1000)))

    #: What one transaction into a graph with data holds in the engine, per byte of the
    #: database file: the nightly delta at 1M/10M (a 2.4 GB file) peaked 11.4 GiB above what
    #: the loader held, and failed with a 5 GiB buffer pool (docs/DECISIONS.md, "Lines taken
    #: at 1M/10M"). Per byte of the file, not of the change: that delta's changes reached
    #: customers all over the graph; how the need shrinks with a smaller change is not measured.
    TRANSACTION_BYTES_PER_FILE_BYTE = 5

    def transaction_memory(self) -> int:
        size = self.path.stat().st_size if self.path.exists() else 0
        return size * self.TRANSACTION_BYTES_PER_FILE_BYTE

    def checkpoint(self, min_bytes: int = 0) -> bool:
        """Write the log into the database file now if it holds ``min_bytes`` or more. A
        checkpoint costs ~1.1 s plus 0.025 s a MiB at 1M / 10M (docs/DECISIONS.md): the
        event writer takes it while nothing waits, instead of inside a commit."""
        wal = _wal(self.path)
        if self.read_only or not wal.exists() or wal.stat().st_size < max(min_bytes, 1):
            return False
        self._run("CHECKPOINT", {})
        return True

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._db.close()

    # --- schema ----------------------------------------------------------------------------

    def apply_schema(self) -> None:
        tables = {row["name"]: row["type"] for row in self._run("CALL show_tables() RETURN *", {})}
        for node in model.NODES.values():
            if node.label not in tables:
                columns = ", ".join(f"{name} {kind}" for name, kind in node.columns.items())
                self._run(f"CREATE NODE TABLE {node.label}({columns}, PRIMARY KEY({node.key}))", {})
            else:
                self._add_missing_columns(node.label, node.columns)
        for rel in model.RELATIONSHIPS.values():
            if rel.type not in tables:
                columns = "".join(f", {name} {kind}" for name, kind in rel.properties.items())
                self._run(
                    f"CREATE REL TABLE {rel.type}(FROM {rel.source} TO {rel.target}{columns})", {}
                )
            else:
                self._add_missing_columns(rel.type, rel.properties)

    def _add_missing_columns(self, table: str, columns: dict[str, str]) -> None:
        """Bring a table made by an older model up to date: new properties start empty."""
        present = {row["name"] for row in self._run(f"CALL table_info('{table}') RETURN *", {})}
        for name, kind in columns.items():
            if name not in present:
                self._run(f"ALTER TABLE {table} ADD {name} {kind}", {})

    # --- bulk writes -----------------------------------------------------------------------

    def upsert_nodes(self, label: str, rows: pa.Table) -> int:
        node = model.node(label)
        given = [name for name in node.properties if name in rows.column_names]
        rows = _unique(_conform(rows, node.arrow_schema()), [node.key])
        if rows.num_rows == 0:
            return 0
        if rows.num_rows <= SMALL_NODE_ROWS:
            return self._upsert_nodes_by_key(node, rows, given)
        if self._is_empty(f"MATCH (n:{label}) RETURN n LIMIT 1"):
            existing = pa.array([], pa.string())
        else:
            existing = self.existing_keys(label, rows.column(node.key))
        is_new = pc.invert(pc.is_in(rows.column(node.key), value_set=existing))
        new_rows, old_rows = rows.filter(is_new), rows.filter(pc.invert(is_new))
        if new_rows.num_rows:
            self._run(f"COPY {label} FROM $rows", {"rows": new_rows})
        if old_rows.num_rows and given:
            # Only the properties the caller gave are set: the others keep what they hold.
            old_rows = old_rows.select([node.key, *given])
            renamed = old_rows.rename_columns([f"c{i}" for i in range(old_rows.num_columns)])
            sets = ", ".join(f"n.{name} = c{i + 1}" for i, name in enumerate(given))
            self._load_from(
                f"LOAD FROM $rows MATCH (n:{label}) WHERE n.{node.key} = c0 SET {sets}", renamed
            )
        return new_rows.num_rows

    def existing_keys(self, label: str, keys: pa.Array | pa.ChunkedArray) -> pa.Array:
        key = model.node(label).key
        probe = pa.table({"k": pc.unique(keys).cast(pa.string())})
        found = self._load_from(
            f"LOAD FROM $rows MATCH (n:{label}) WHERE n.{key} = k RETURN n.{key} AS k", probe
        )
        if not found.num_columns:
            return pa.array([], pa.string())
        return found.column("k").combine_chunks().cast(pa.string())

    def get_nodes(self, label: str, keys: pa.Array | pa.ChunkedArray) -> pa.Table:
        node = model.node(label)
        probe = pa.table({"k": pc.unique(keys).cast(pa.string())})
        columns = ", ".join(f"n.{name} AS {name}" for name in node.columns)
        found = self._load_from(
            f"LOAD FROM $rows MATCH (n:{label}) WHERE n.{node.key} = k RETURN {columns}", probe
        )
        return _conform(found, node.arrow_schema())

    def upsert_relationships(self, rel_type: str, rows: pa.Table, *, new: bool = False) -> int:
        rel = model.relationship(rel_type)
        identity = ["from", "to", *rel.identity]
        given = [p for p in rel.properties if p in rows.column_names and p not in rel.identity]
        rows = _unique(_conform(rows, rel.arrow_schema()), identity)
        if rows.num_rows == 0:
            return 0
        if rows.num_rows <= SMALL_RELATIONSHIP_ROWS:
            return self._upsert_relationships_by_key(rel, rows, given)
        if new:  # known absent: no look-up first
            self._run(f"COPY {rel_type} FROM $rows", {"rows": rows})
            return rows.num_rows
        empty = self._is_empty(
            f"MATCH (:{rel.source})-[r:{rel.type}]->(:{rel.target}) RETURN r LIMIT 1"
        )
        existing = rows.slice(0, 0) if empty else self._existing_relationships(rel, rows)
        if existing.num_rows:
            marked = rows.append_column("_row", pa.array(range(rows.num_rows), pa.int64()))
            matched = marked.join(existing, keys=identity, join_type="inner")
            old_index = matched.column("_row")
            is_old = pc.is_in(pa.array(range(rows.num_rows), pa.int64()), value_set=old_index)
            new_rows, old_rows = rows.filter(pc.invert(is_old)), rows.filter(is_old)
        else:
            new_rows, old_rows = rows, rows.slice(0, 0)
        if new_rows.num_rows:
            self._run(f"COPY {rel_type} FROM $rows", {"rows": new_rows})
        if old_rows.num_rows and given:
            self._set_relationship_properties(rel, old_rows, given)
        return new_rows.num_rows

    def _is_empty(self, probe: str) -> bool:
        """Whether a one-row probe finds nothing (so a whole batch is new: no key lookups)."""
        return not self._run(probe, {})

    def _existing_relationships(self, rel: model.RelType, rows: pa.Table) -> pa.Table:
        """The identity columns of the relationships in ``rows`` that already exist."""
        source, target = model.node(rel.source), model.node(rel.target)
        probe = pa.table({"f": pc.unique(rows.column("from"))})
        extra = "".join(f", r.{p} AS {p}" for p in rel.identity)
        return self._load_from(
            f"LOAD FROM $rows MATCH (a:{rel.source})-[r:{rel.type}]->(b:{rel.target}) "
            f"WHERE a.{source.key} = f "
            f"RETURN a.{source.key} AS `from`, b.{target.key} AS `to`{extra}",
            probe,
        )

    def _set_relationship_properties(
        self, rel: model.RelType, rows: pa.Table, settable: list[str]
    ) -> None:
        source, target = model.node(rel.source), model.node(rel.target)
        names = rows.column_names
        renamed = rows.rename_columns([f"c{i}" for i in range(len(names))])
        column = {name: f"c{i}" for i, name in enumerate(names)}
        identity = "".join(f" AND r.{p} = {column[p]}" for p in rel.identity)
        sets = ", ".join(f"r.{p} = {column[p]}" for p in settable)
        self._load_from(
            f"LOAD FROM $rows MATCH (a:{rel.source})-[r:{rel.type}]->(b:{rel.target}) "
            f"WHERE a.{source.key} = {column['from']} AND b.{target.key} = {column['to']}"
            f"{identity} SET {sets}",
            renamed,
        )

    # --- small writes, a row at a time by key ----------------------------------------------

    def _upsert_nodes_by_key(self, node: model.NodeType, rows: pa.Table, given: list[str]) -> int:
        """``upsert_nodes`` for a few rows: each one found by its key (its primary-key index),
        updated with the given properties, or created with them."""
        label, key = node.label, node.key
        sets = ", ".join(f"n.{p} = $p{i}" for i, p in enumerate(given))
        update = f"MATCH (n:{label} {{{key}: $key}}) {f'SET {sets} ' if sets else ''}"
        update += "RETURN count(n) AS n"
        props = ", ".join([f"{key}: $key", *(f"{p}: $p{i}" for i, p in enumerate(given))])
        create = f"CREATE (n:{label} {{{props}}})"
        created = 0
        with self.atomic():  # all rows or none, as one COPY would be
            for row in rows.to_pylist():
                params = {"key": row[key]} | {f"p{i}": row[p] for i, p in enumerate(given)}
                if not self._run(update, params)[0]["n"]:
                    self._run(create, params)
                    created += 1
        return created

    def _upsert_relationships_by_key(
        self, rel: model.RelType, rows: pa.Table, given: list[str]
    ) -> int:
        """``upsert_relationships`` for a few rows: each one found from one of its ends by key,
        its given properties set, or created between the two ends found by key — and, as a
        COPY does, refused when an end does not exist."""
        source, target = model.node(rel.source), model.node(rel.target)
        same = "".join(f" AND r.{p} = $i{i}" for i, p in enumerate(rel.identity))
        if rel.source in _HUBS and rel.target not in _HUBS:  # walk from the end with fewer
            path = (
                f"(b:{rel.target} {{{target.key}: $to}})<-[r:{rel.type}]-(a:{rel.source}) "
                f"WHERE a.{source.key} = $from"
            )
        else:
            path = (
                f"(a:{rel.source} {{{source.key}: $from}})-[r:{rel.type}]->(b:{rel.target}) "
                f"WHERE b.{target.key} = $to"
            )
        sets = ", ".join(f"r.{p} = $p{i}" for i, p in enumerate(given))
        update = f"MATCH {path}{same} {f'SET {sets} ' if sets else ''}RETURN count(r) AS n"
        props = [f"{p}: $i{i}" for i, p in enumerate(rel.identity)]
        props += [f"{p}: $p{i}" for i, p in enumerate(given)]
        inside = f" {{{', '.join(props)}}}" if props else ""
        create = (
            f"MATCH (a:{rel.source} {{{source.key}: $from}}) "
            f"MATCH (b:{rel.target} {{{target.key}: $to}}) "
            f"CREATE (a)-[r:{rel.type}{inside}]->(b) RETURN count(r) AS n"
        )
        created = 0
        with self.atomic():  # all rows or none, as one COPY would be
            for row in rows.to_pylist():
                params = {"from": row["from"], "to": row["to"]}
                params |= {f"i{i}": row[p] for i, p in enumerate(rel.identity)}
                params |= {f"p{i}": row[p] for i, p in enumerate(given)}
                if self._run(update, params)[0]["n"]:
                    continue
                if not self._run(create, params)[0]["n"]:
                    raise StoreError(
                        f"{rel.type}: no {rel.source} {row['from']!r} or no {rel.target} "
                        f"{row['to']!r} to connect",
                        query=f"upsert {rel.type}",
                    )
                created += 1
        return created

    def _load_from(self, text: str, rows: pa.Table) -> pa.Table:
        """Run a ``LOAD FROM $rows …`` statement over ``rows`` a slice at a time.

        Slices bound the join state of one statement. They do not bound the transaction: a
        re-load that updates ten million existing rows in one transaction still passes 20 GB
        (docs/DECISIONS.md, "Re-loading at scale").
        """
        answers = []
        for start in range(0, rows.num_rows, LOAD_FROM_ROWS):
            params = {"rows": rows.slice(start, LOAD_FROM_ROWS)}
            if " RETURN " in text:
                answers.append(self._run_arrow(text, params))
            else:
                self._execute(text, params).close()
        return pa.concat_tables(answers) if answers else pa.table({})

    # --- running Cypher --------------------------------------------------------------------

    def _run(
        self, text: str, params: dict[str, Any], *, write: bool = True
    ) -> list[dict[str, Any]]:
        result = self._execute(text, params)
        names = result.get_column_names()
        rows = [dict(zip(names, map(_plain_deep, row), strict=True)) for row in result.get_all()]
        result.close()
        return rows

    def _run_arrow(self, text: str, params: dict[str, Any]) -> pa.Table:
        result = self._execute(text, params)
        table = result.get_as_arrow()
        result.close()
        return table

    def _frame(self, text: str, params: dict[str, Any]) -> pd.DataFrame:
        return self._run_arrow(text, params).to_pandas()

    def _arrow(self, text: str, params: dict[str, Any]) -> pa.Table:
        return self._run_arrow(text, params)

    def _delete_at(self, label: str, key: str, pattern: str, keys: pa.Array) -> None:
        """A statement per key for a few keys, else one ``LOAD FROM`` join (``UNWIND …
        MATCH`` is planned as a scan of the whole table for every key here)."""
        unique = pc.unique(keys).cast(pa.string())
        if len(unique) <= KEYS_ONE_BY_ONE:
            text = f"MATCH (n:{label} {{{key}: $k}}) MATCH {pattern} DELETE r"
            for one in unique.to_pylist():
                self._run(text, {"k": one})
            return
        self._load_from(
            f"LOAD FROM $rows MATCH (n:{label}) WHERE n.{key} = k MATCH {pattern} DELETE r",
            pa.table({"k": unique}),
        )

    def _rows_at(
        self, label: str, key: str, pattern: str, columns: str, keys: pa.Array
    ) -> pa.Table | list:
        unique = pc.unique(keys).cast(pa.string())
        if len(unique) <= KEYS_ONE_BY_ONE:
            text = f"MATCH (n:{label} {{{key}: $k}}) MATCH {pattern} RETURN {columns}"
            return [row for one in unique.to_pylist() for row in self._run(text, {"k": one})]
        return self._load_from(
            f"LOAD FROM $rows MATCH (n:{label}) WHERE n.{key} = k MATCH {pattern} RETURN {columns}",
            pa.table({"k": unique}),
        )

    @contextmanager
    def building(self) -> Iterator[GraphStore]:
        """Build a first load in a database file of its own, then swap it in.

        Inside one transaction LadybugDB logs every copied row (a 1M-customer load passed
        13 GiB and spent most of its time there); a ``COPY`` outside a transaction writes the
        tables directly. So the load goes into ``<path>.building`` with each ``COPY``
        committing by itself, that database is closed (checkpointed into its one file), and
        ``os.replace`` puts it where this store was: a process killed at any moment leaves
        either the empty store or the whole new graph, never a part. A ``.building`` file
        left by a killed load is removed by the next one.
        """
        if not self.is_empty():
            raise StoreError(f"{self.path} is not empty: a first load builds only an empty store")
        side = self.path.with_name(self.path.name + ".building")
        _remove_database(side)
        target = EmbeddedStore(side)
        target.apply_schema()
        try:
            yield target
        except BaseException:
            target.close()
            _remove_database(side)
            raise
        target.close()
        if _wal(side).exists():
            raise StoreError(f"{side}: its write-ahead log was not checkpointed; nothing replaced")
        self.close()
        os.replace(side, self.path)
        _wal(self.path).unlink(missing_ok=True)  # the empty store's log, if it left one
        self._open()

    def _execute(self, text: str, params: dict[str, Any]) -> ladybug.QueryResult:
        started = time.perf_counter()
        try:
            result = self._conn.execute(text, params)
        except RuntimeError as error:
            limit = self._short_query_threads.get(threading.get_ident())
            if limit and str(error).startswith("Interrupted"):
                raise QueryTimeoutError(
                    f"the request took longer than {limit:g} s and was stopped: ask for less "
                    "(fewer rows, pages or fields)"
                ) from error
            raise StoreError(str(error).splitlines()[0]) from error
        log.debug("%.3f s  %s", time.perf_counter() - started, " ".join(text.split())[:90])
        if isinstance(result, list):  # several statements: the last one answers
            result = result[-1]
        return result

    # --- atomic(): GraphStore nests the blocks, these run the transaction statements -------

    def _begin(self) -> None:
        self._run("BEGIN TRANSACTION", {})

    def _commit(self) -> None:
        self._run("COMMIT", {})

    def _rollback(self) -> None:
        """Undo the open transaction; the error that caused the rollback is the one reported."""
        try:
            self._run("ROLLBACK", {})
        except StoreError as error:  # LadybugDB may have aborted the transaction already
            log.debug("rollback: %s", error)
        finally:
            # A rolled-back COPY leaves this database object unable to COPY again: reopen it.
            self.close()
            self._open()


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _remove_database(path: Path) -> None:
    """Delete a database file and its log (a load's side file)."""
    for item in (path, _wal(path)):
        if item.is_dir():
            shutil.rmtree(item)
        else:
            item.unlink(missing_ok=True)


def _conform(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """``rows`` with exactly the schema's columns, in its order and types (missing ones null)."""
    columns = []
    for field in schema:
        if field.name in rows.column_names:
            columns.append(rows.column(field.name).cast(field.type))
        else:
            columns.append(pa.nulls(rows.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _unique(rows: pa.Table, identity: list[str]) -> pa.Table:
    """One row per identity, the last one winning (a COPY of a repeated key is fatal here)."""
    for name in identity:  # one column that is unique on its own makes the whole identity so
        if len(pc.unique(rows.column(name))) == rows.num_rows:  # 4x count_distinct's speed
            return rows
    numbered = rows.append_column("__row", pa.array(np.arange(rows.num_rows)))
    last = numbered.group_by(identity, use_threads=False).aggregate([("__row", "max")])
    if last.num_rows == rows.num_rows:
        return rows
    keep = last.column("__row_max").combine_chunks()
    return rows.take(keep.take(pc.array_sort_indices(keep)))  # in their original order


def _plain_deep(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain_deep(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_deep(v) for k, v in value.items()}
    return plain(value)


def _open_error(path: Path, error: RuntimeError) -> StoreError:
    message = str(error)
    holder = _LOCK_HOLDER.search(message)
    if holder is None:
        return StoreError(f"cannot open the database at {path}: {message.splitlines()[0]}")
    pid = holder.group(1)
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        command = ""
    who = f"process {pid}" + (f" ({command})" if command else "")
    return StoreLockedError(
        f"the database at {path} is open for writing by {who}; "
        "stop that process or wait until it ends, then run this again"
    )
