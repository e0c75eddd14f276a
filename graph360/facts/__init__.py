"""The facts projection: the graph's facts the analytics read, as integer-coded Arrow columns.

Why (docs/DECISIONS.md, "The facts projection"): at 1M customers / 10M touchpoints LadybugDB
needs 14-16 s just to return ``(c)-[:HAD]->(t)-[:HANDLED_BY]->(d)``, so an analytic that
re-derives its projection from multi-hop Cypher on every call cannot answer in seconds. One-hop
and single-table reads are cheap (``offset(id())`` pairs, column scans), and an Arrow file
memory-maps in milliseconds. So the facts are read once per graph version with cheap Cypher
(the ``facts_*`` named queries, one label or one relationship type each), coded, written as
Arrow IPC files beside the database, and every analytic answers from them with numpy.

What is in it:

- a **node table** per label the analytics read (:data:`tables.NODE_TABLES`): row ``i`` is the node
  with code ``i``; its ``key`` (not for touchpoints on LadybugDB: ten million strings would cost
  seconds, and the few an analytic shows are looked up) and the properties the analytics read;
- a **pair table** per relationship type (:data:`tables.PAIR_TABLES`): ``source`` and ``target`` as
  int32 codes into the end labels' node tables, and the relationship's properties.

Strings are dictionary-encoded (a channel or a kind is a small integer). The handle the
``facts_*`` queries give a node is its offset in its table on LadybugDB and its key on Neo4j
(which has no dense offsets); both become the same codes here, so everything above this module
is backend-blind.

**Versioned.** The graph's version is the ``Meta`` node's counter (``meta_version``); every
committed write bumps it (:func:`bump_version`, called by the writer inside its transaction).
A projection records the version it was read at; :func:`current` compares it with the graph's
on every call (one key lookup, milliseconds) and never hands out a stale one: it rebuilds, or,
with ``rebuild=False``, raises :class:`StaleFactsError`. Every answer built on it carries
:attr:`Facts.as_of`.

**Where.** ``<database>.facts/`` beside an embedded database; ``$GRAPH360_FACTS_DIR/<hash of
the location>`` when that is set (a read-only database, or Neo4j), else the user's cache folder
for Neo4j. A rebuild writes a new folder and swaps it in, so a reader never sees half a one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import threading
from pathlib import Path

from graph360.errors import StoreError
from graph360.facts.files import facts_dir, load, save
from graph360.facts.reading import read_projection
from graph360.facts.tables import Facts
from graph360.periods import utc_now
from graph360.store.base import GraphStore

#: The Meta node whose counter is the graph's version.
META = "graph"


class StaleFactsError(StoreError):
    """The stored projection is older than the graph and was not to be rebuilt."""


def graph_version(store: GraphStore) -> tuple[int, dt.datetime | None]:
    """The graph's version and when it was last bumped; (0, None) before the first bump."""
    rows = store.query("meta_version", meta=META)
    if not rows:
        return 0, None
    return int(rows[0]["version"] or 0), rows[0]["written_at"]


def graph_counts(store: GraphStore) -> dict[str, int]:
    """Nodes per label and relationships per type of what the projection reads (zeros left
    out, so an engine that drops an empty count and one that returns 0 agree)."""
    return {r["name"]: int(r["n"]) for r in store.query("facts_counts") if r["n"]}


def is_current(store: GraphStore, facts: Facts) -> bool:
    """Whether ``facts`` reflects the graph as it is: the same version and the same counts
    (the counts catch inserts and deletes by a writer that did not bump the version)."""
    return graph_version(store)[0] == facts.version and graph_counts(store) == facts.counts


def bump_version(store: GraphStore, now: dt.datetime | None = None) -> int:
    """Bump the graph's version; call it inside the writer's ``store.atomic()`` block, so the
    bump commits (or rolls back) with the write. Returns the new version."""
    moment = now or utc_now()
    return int(store.write("meta_bump", meta=META, now=moment)[0]["version"])


def build(store: GraphStore) -> Facts:
    """Read every ``facts_*`` query and code it: a new projection at the graph's version.

    The version is read before and after; a write committed in between makes it read again
    (at most three times, then it is an error: the graph does not stand still long enough).
    """
    for _attempt in range(3):
        version, written_at = graph_version(store)
        counts = graph_counts(store)
        facts = read_projection(store, version, written_at)
        facts.counts = counts
        if graph_version(store)[0] == version and graph_counts(store) == counts:
            return facts
    raise StoreError("the graph kept changing while its facts were read; try again")


_cache: dict[str, Facts] = {}
_lock = threading.Lock()


def current(store: GraphStore, *, rebuild: bool = True) -> Facts:
    """The projection at the graph's current version: this process's copy, else the stored one,
    else (``rebuild``) a new one, stored; a stale one is never returned.

    Raises :class:`StaleFactsError` when there is none at the current version and ``rebuild``
    is false.
    """
    version, _ = graph_version(store)
    counts = graph_counts(store)

    def fresh(facts: Facts | None) -> bool:
        return facts is not None and facts.version == version and facts.counts == counts

    with _lock:
        kept = _cache.get(store.location)
        if fresh(kept):
            assert kept is not None
            return kept
        folder = facts_dir(store)
        stored = load(folder)
        if fresh(stored):
            assert stored is not None
            _cache[store.location] = stored
            return stored
        if not rebuild:
            have = "none" if stored is None else f"version {stored.version}"
            raise StaleFactsError(
                f"the facts projection of {store.location} is stale ({have}; the graph is at "
                f"version {version}): run `graph360 facts rebuild`"
            )
        return _refresh_locked(store, folder)


def refresh(store: GraphStore) -> Facts:
    """Read the projection afresh and store it (``graph360 facts rebuild``; a writer after a
    commit). Today a whole re-read: refreshing only what a write changed is not done yet."""
    with _lock:
        return _refresh_locked(store, facts_dir(store))


def _refresh_locked(store: GraphStore, folder: Path) -> Facts:
    facts = build(store)
    with contextlib.suppress(OSError):  # a read-only place: it still serves this process
        save(facts, folder)
    _cache[store.location] = facts
    return facts


def invalidate(store: GraphStore) -> None:
    """Forget this process's copy and delete the stored projection (the next :func:`current`
    rebuilds). Bumping the version (:func:`bump_version`) is enough to make them unused; this
    also frees the disk."""
    with _lock:
        _cache.pop(store.location, None)
        shutil.rmtree(facts_dir(store), ignore_errors=True)
