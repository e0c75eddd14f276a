"""The GraphStore interface: what every backend must do, and the steps they all share.

A backend implements the abstract methods (bulk upserts from Arrow tables, running Cypher,
transactions, closing). Shared behaviour — named-query lookup, error translation with the
query's name, counts, re-pointing merged nodes — is written here once.
"""

from __future__ import annotations

import datetime as dt
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, ClassVar, final

import pandas as pd
import pyarrow as pa

from graph360 import model, named_queries
from graph360.errors import StoreError


class GraphStore(ABC):
    """One graph database holding the graph360 model."""

    #: The backend name: picks query variants (``NAME.<backend>.cypher``).
    backend: ClassVar[str]
    #: Where the store lives, for messages (a path or a URI without credentials).
    location: str
    #: Whether a query's ``$rows`` may be an Arrow table (LadybugDB's ``LOAD FROM``); else it
    #: travels as a list of maps (Neo4j's ``UNWIND``), :data:`ROWS_PER_STATEMENT` at a time.
    reads_arrow_rows: ClassVar[bool] = False
    ROWS_PER_STATEMENT: ClassVar[int] = 1_000

    # --- what each backend provides -------------------------------------------------------

    @abstractmethod
    def apply_schema(self) -> None:
        """Create whatever the model needs (tables or constraints); safe to call again."""

    @abstractmethod
    def upsert_nodes(self, label: str, rows: pa.Table) -> int:
        """Insert or update nodes by key; ``rows`` has the model's columns for ``label``.

        Returns how many nodes were new.
        """

    @abstractmethod
    def upsert_relationships(self, rel_type: str, rows: pa.Table, *, new: bool = False) -> int:
        """Insert or update relationships; ``rows`` has ``from``, ``to`` (the endpoints' keys)
        and the type's properties. Identity is (from, to) plus the type's identity properties.
        ``new``: the caller knows none of them exists, so none is looked for first.

        Returns how many relationships were new.
        """

    @abstractmethod
    def existing_keys(self, label: str, keys: pa.Array) -> pa.Array:
        """Which of ``keys`` are keys of ``label`` nodes already in the store."""

    @abstractmethod
    def get_nodes(self, label: str, keys: pa.Array) -> pa.Table:
        """Every property of the ``label`` nodes with these keys (absent keys are left out)."""

    @abstractmethod
    def _run(self, text: str, params: dict[str, Any], *, write: bool) -> list[dict[str, Any]]:
        """Run one Cypher text; backend errors propagate and are translated by the caller."""

    @abstractmethod
    def _begin(self) -> None:
        """Open this thread's transaction (``atomic()`` calls it for the outermost block)."""

    @abstractmethod
    def _commit(self) -> None:
        """Commit this thread's open transaction."""

    @abstractmethod
    def _rollback(self) -> None:
        """Undo this thread's open transaction; never raises over the error that caused it
        (the database may have ended the transaction by itself)."""

    @abstractmethod
    def close(self) -> None: ...

    def transaction_memory(self) -> int:
        """Bytes this process may need for one transaction that changes the graph (the memory
        guard's figure). A server holds its transactions in its own memory: none here."""
        return 0

    def checkpoint(self, min_bytes: int = 0) -> bool:
        """Fold the write-ahead log into the database now if it holds ``min_bytes`` or more;
        whether it did. A server backend checkpoints on its own: nothing to do."""
        return False

    @abstractmethod
    def for_short_queries(self, seconds: float | None = None) -> None:
        """From now on this thread asks many short questions (an API's reads): a backend that
        would spread one query over several cores may keep each to one instead. With
        ``seconds``, a query of this thread that runs longer is stopped (QueryTimeoutError)."""

    # --- shared steps ----------------------------------------------------------------------

    @final
    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Writes inside happen all together or not at all, where the backend can do that.

        Blocks nest: an inner block joins the outer one, and only the outermost commits (or
        rolls back, whichever block the error came from). The depth is kept per thread, as the
        backends keep their transactions (one connection or session per thread): another
        thread's reads and writes never join this thread's transaction.
        """
        nesting = self._nesting
        depth = getattr(nesting, "depth", 0)
        if depth:
            nesting.depth = depth + 1
            try:
                yield
            finally:
                nesting.depth = depth
            return
        self._begin()
        nesting.depth = 1
        try:
            yield
        except BaseException:
            nesting.depth = 0
            self._rollback()
            raise
        nesting.depth = 0
        self._commit()

    @property
    def _nesting(self) -> threading.local:
        """This store's per-thread ``atomic()`` depth (made on first use: backends do not call
        an ``__init__`` of this class)."""
        nesting = self.__dict__.get("_atomic_nesting")
        if nesting is None:  # setdefault: two threads racing here get the same object
            nesting = self.__dict__.setdefault("_atomic_nesting", threading.local())
        return nesting

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @final
    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run the named read query ``name`` with ``params``; rows as dicts."""
        return self._named(name, params, write=False)

    @final
    def write(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run the named write query ``name`` with ``params``."""
        return self._named(name, params, write=True)

    @final
    def write_rows(self, name: str, rows: pa.Table, **params: Any) -> list[dict[str, Any]]:
        """Run the named write ``name`` once over all of ``rows`` (its ``$rows``): one
        statement where the engine reads an Arrow table, else a list of maps a slice at a time;
        the answers of every statement."""
        if self.reads_arrow_rows:
            return self.write(name, rows=rows, **params)
        step = self.ROWS_PER_STATEMENT
        return [
            answer
            for start in range(0, rows.num_rows, step)
            for answer in self.write(name, rows=rows.slice(start, step).to_pylist(), **params)
        ]

    @final
    def frame(self, name: str, **params: Any) -> pd.DataFrame:
        """A named read query's rows as a DataFrame (for analytics projections)."""
        named = self._checked(name, params)
        try:
            return self._frame(named.text, params)
        except Exception as error:
            raise StoreError(_describe(error), query=name) from error

    def _frame(self, text: str, params: dict[str, Any]) -> pd.DataFrame:
        return pd.DataFrame(self._run(text, params, write=False))

    def _checked(self, name: str, params: dict[str, Any]) -> named_queries.NamedQuery:
        """The named query, once every parameter its text uses is given."""
        named = named_queries.get(name, self.backend)
        missing = named.parameters - params.keys()
        if missing:
            raise StoreError(f"missing parameters {sorted(missing)}", query=name)
        return named

    def _named(self, name: str, params: dict[str, Any], *, write: bool) -> list[dict[str, Any]]:
        named = self._checked(name, params)
        try:
            return self._run(named.text, params, write=write)
        except StoreError:
            raise
        except Exception as error:
            raise StoreError(_describe(error), query=name) from error

    @final
    def counts(self) -> dict[str, dict[str, int]]:
        """How many nodes per label and relationships per type."""
        nodes = {
            label: self._count(f"MATCH (n:{label}) RETURN count(n) AS n") for label in model.NODES
        }
        rels = {
            rel.type: self._count(
                f"MATCH (:{rel.source})-[r:{rel.type}]->(:{rel.target}) RETURN count(r) AS n"
            )
            for rel in model.RELATIONSHIPS.values()
        }
        return {"nodes": nodes, "relationships": rels}

    @final
    def all_nodes(self, label: str) -> pd.DataFrame:
        """Every ``label`` node with all its properties, ordered by key (exports, checks)."""
        node = model.node(label)
        columns = ", ".join(f"n.{name} AS {name}" for name in node.columns)
        frame = self._frame(f"MATCH (n:{label}) RETURN {columns} ORDER BY n.{node.key}", {})
        return frame.reindex(columns=list(node.columns))

    @final
    def all_relationships(self, rel_type: str) -> pd.DataFrame:
        """Every ``rel_type`` relationship: endpoint keys and properties, in a stable order."""
        rel = model.relationship(rel_type)
        source, target = model.node(rel.source).key, model.node(rel.target).key
        props = "".join(f", r.{p} AS {p}" for p in rel.properties)
        order = ", ".join(["`from`", "`to`", *rel.identity])
        frame = self._frame(
            f"MATCH (a:{rel.source})-[r:{rel.type}]->(b:{rel.target}) "
            f"RETURN a.{source} AS `from`, b.{target} AS `to`{props} ORDER BY {order}",
            {},
        )
        return frame.reindex(columns=["from", "to", *rel.properties])

    @final
    def is_empty(self) -> bool:
        """Whether the store holds no node at all (a first load may then build it afresh)."""
        return not any(
            self._run(f"MATCH (n:{label}) RETURN n.{node.key} AS k LIMIT 1", {}, write=False)
            for label, node in model.NODES.items()
        )

    @final
    def stored_row_hashes(self, name: str) -> pa.Table:
        """The identity and ``row_hash`` of every ``name`` node or relationship a load wrote.

        Nodes: ``key``, ``row_hash``. Relationships: ``from``, ``to``, the type's identity
        properties, ``row_hash``. Only keys and hashes travel, so a re-load reads a fraction
        of what it would take to compare whole rows.
        """
        if name in model.NODES:
            node = model.node(name)
            text = (
                f"MATCH (n:{name}) WHERE n.row_hash IS NOT NULL "
                f"RETURN n.{node.key} AS key, n.row_hash AS row_hash"
            )
        else:
            rel = model.relationship(name)
            source, target = model.node(rel.source).key, model.node(rel.target).key
            props = "".join(f", r.{p} AS {p}" for p in rel.identity)
            text = (
                f"MATCH (a:{rel.source})-[r:{rel.type}]->(b:{rel.target}) "
                f"WHERE r.row_hash IS NOT NULL "
                f"RETURN a.{source} AS `from`, b.{target} AS `to`{props}, r.row_hash AS row_hash"
            )
        try:
            return self._arrow(text, {})
        except Exception as error:
            raise StoreError(_describe(error), query=f"stored row hashes of {name}") from error

    def _arrow(self, text: str, params: dict[str, Any]) -> pa.Table:
        """A read's rows as an Arrow table (backends with a columnar result path override)."""
        return pa.Table.from_pandas(self._frame(text, params), preserve_index=False)

    @final
    def delete_relationships_of(self, rel_type: str, end: str, keys: pa.Array) -> None:
        """Delete every ``rel_type`` relationship whose ``end`` (``source`` or ``target``) is a
        node with one of ``keys``: what a changed row implied before it changed."""
        if not len(keys):
            return
        rel = model.relationship(rel_type)
        label = rel.source if end == "source" else rel.target
        pattern = f"(n)-[r:{rel_type}]->()" if end == "source" else f"()-[r:{rel_type}]->(n)"
        self._delete_at(label, model.node(label).key, pattern, keys)

    @final
    def relationships_at(self, rel_type: str, end: str, keys: pa.Array) -> pa.Table:
        """``from`` and ``to`` of every ``rel_type`` relationship whose ``end`` (``source`` or
        ``target``) is a node with one of ``keys``: what changed rows implied so far, read so
        that only the relationships that differ are deleted (deleting one at a hub such as a
        department of a million touchpoints costs milliseconds)."""
        rel = model.relationship(rel_type)
        source, target = model.node(rel.source).key, model.node(rel.target).key
        schema = pa.schema([("from", pa.string()), ("to", pa.string())])
        if not len(keys):
            return schema.empty_table()
        if end == "source":
            label, key, pattern = rel.source, source, f"(n)-[:{rel.type}]->(b:{rel.target})"
            columns = f"n.{source} AS `from`, b.{target} AS `to`"
        else:
            label, key, pattern = rel.target, target, f"(a:{rel.source})-[:{rel.type}]->(n)"
            columns = f"a.{source} AS `from`, n.{target} AS `to`"
        found = self._rows_at(label, key, pattern, columns, keys)
        if isinstance(found, list):
            return pa.Table.from_pylist(found, schema=schema)
        return found.select(["from", "to"]).cast(schema) if found.num_rows else schema.empty_table()

    def _rows_at(
        self, label: str, key: str, pattern: str, columns: str, keys: pa.Array
    ) -> list | pa.Table:
        """The ``columns`` of ``pattern`` at the ``label`` nodes ``n`` with these keys (one
        UNWIND; the embedded store overrides it with a bulk join)."""
        return self._run(
            f"UNWIND $keys AS k MATCH (n:{label} {{{key}: k}}) MATCH {pattern} RETURN {columns}",
            {"keys": keys.to_pylist()},
            write=False,
        )

    def _delete_at(self, label: str, key: str, pattern: str, keys: pa.Array) -> None:
        """Delete the relationships ``r`` of ``pattern`` at the ``label`` nodes ``n`` with
        these keys (one UNWIND; the embedded store overrides it with a bulk join)."""
        self._run(
            f"UNWIND $keys AS k MATCH (n:{label} {{{key}: k}}) MATCH {pattern} DELETE r",
            {"keys": keys.to_pylist()},
            write=True,
        )

    @contextmanager
    def building(self) -> Iterator[GraphStore]:
        """A first load's writes, all or nothing: by default one transaction on this store.

        A backend that can build a database apart and swap it in (the embedded one) does so:
        much faster than one transaction holding millions of rows.
        """
        with self.atomic():
            yield self

    def _count(self, text: str) -> int:
        return int(self._run(text, {}, write=False)[0]["n"])

    @final
    def merge_nodes(self, label: str, survivors: dict[str, str]) -> None:
        """Fold each node ``old`` into ``survivors[old]``: re-point its relationships, delete it.

        Used when identity resolution learns that two existing customers are one person.
        """
        if not survivors:
            return
        node = model.node(label)
        pairs = [{"old": old, "new": new} for old, new in survivors.items() if old != new]
        for rel in model.rels_touching(label):
            for end in ("source", "target"):
                if getattr(rel, end) != label:
                    continue
                self._run(_repoint_text(node, rel, end), {"pairs": pairs}, write=True)
        self._run(
            f"UNWIND $pairs AS p MATCH (n:{label} {{{node.key}: p.old}}) DETACH DELETE n",
            {"pairs": pairs},
            write=True,
        )
        for rel in model.rels_touching(label):
            if rel.source == rel.target == label:  # two merged people are not related to self
                self._run(
                    f"UNWIND $pairs AS p MATCH (n:{label} {{{node.key}: p.new}})"
                    f"-[r:{rel.type}]->(n) DELETE r",
                    {"pairs": pairs},
                    write=True,
                )


def _repoint_text(node: model.NodeType, rel: model.RelType, end: str) -> str:
    """Cypher that copies every ``rel`` at ``end`` of an old node to its survivor."""
    other = rel.target if end == "source" else rel.source
    identity = ", ".join(f"{p}: r.{p}" for p in rel.identity)
    identity = f" {{{identity}}}" if identity else ""
    copy = ", ".join(f"r2.{p} = r.{p}" for p in rel.properties if p not in rel.identity)
    pattern = (
        f"(old)-[r:{rel.type}]->(x:{other})"
        if end == "source"
        else f"(x:{other})-[r:{rel.type}]->(old)"
    )
    merged = (
        f"(new)-[r2:{rel.type}{identity}]->(x)"
        if end == "source"
        else f"(x)-[r2:{rel.type}{identity}]->(new)"
    )
    return (
        f"UNWIND $pairs AS p "
        f"MATCH (old:{node.label} {{{node.key}: p.old}}) "
        f"MATCH (new:{node.label} {{{node.key}: p.new}}) "
        f"MATCH {pattern} "
        f"MERGE {merged} " + (f"SET {copy} " if copy else "") + "DELETE r"
    )


def _describe(error: Exception) -> str:
    """The backend's message without its traceback-ish noise (first line only)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def plain(value: Any) -> Any:
    """A backend value as a plain Python value (Neo4j's temporal types become datetime)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    to_native = getattr(value, "to_native", None)
    if to_native is not None:
        value = to_native()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
