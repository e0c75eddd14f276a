"""Analytics in the server: apart from the card's reads, remembered per graph version, and never
a hung request.

**Apart.** Every analytic (and every graph view, which draws from them) runs in one worker
*process* started with the server, at a lower OS priority (``nice`` +10), with its own
read-only connection to the store. A thread in the server's own process would share its GIL:
an analytic's pandas and numpy work holds it for long stretches, and every card in flight would
wait for it. A separate process at a lower priority leaves the server's threads the cores
whenever they want them, so a card's latency does not move while an overlap is computed
(``bench/analytics.py`` measures a card's p99 over HTTP alone and during an analytic).

**Loaded, and never stale.** The worker keeps its store open and, with it, the facts
projection (:mod:`graph360.facts` keeps the current one per process, columns decoded once), so
the same question with other parameters (another period, window, grouping, journey, channel)
pays only the analytic's own work, not the read. Each request carries the graph's version as
the server sees it (one key lookup); the worker reopens its read-only snapshot when that
version is newer than the one it holds, so an answer is never older than the last committed
write. Every answer carries its ``as_of`` (the graph version, when it was written, when the
projection was read): the analytic's own when it gives one, else the worker's snapshot's.

**Remembered.** An answer is kept per (function, arguments, graph version), the last
:data:`MEMO_SIZE`; the same question at the same version is answered from memory, and a
question already being computed is joined, not computed twice.

**Never hung.** A request waits at most its limit (:data:`WAIT_SECONDS` unless the server is
told otherwise); then it gets :class:`Computing`, whose ``retry_after`` says when to ask again
(the last duration of the same function, less the time already spent), while the computation
goes on and its answer is kept for that retry. GraphQL turns it into an error with
``extensions: {code: "COMPUTING", retryAfter}``, the views into HTTP 503 with ``Retry-After``.
More than :data:`MAX_PENDING` different questions waiting are refused at once the same way.

Functions are named ``"module:function"`` and called as ``function(store, **kwargs)`` in the
worker, so wrapping a new analytic needs no code here; arguments and answers cross the process
boundary by pickle.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import importlib
import math
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from graph360 import facts
from graph360.errors import Graph360Error
from graph360.store import open_store
from graph360.store.base import GraphStore

__all__ = [
    "MAX_PENDING",
    "MEMO_SIZE",
    "NICE",
    "WAIT_SECONDS",
    "AnalyticsRunner",
    "Answer",
    "Computing",
]

#: How long a request waits for an analytic before it is told to come back.
WAIT_SECONDS = 10.0
#: Answers remembered (per function, arguments and graph version).
MEMO_SIZE = 64
#: Different questions that may wait for the worker at once; more are refused at once.
MAX_PENDING = 8
#: How much lower than the server's the worker's OS priority is.
NICE = 10
#: Retry-After when nothing is known about how long a function takes.
DEFAULT_RETRY_SECONDS = 5.0


class Computing(Graph360Error):
    """The answer is being computed and the request's limit has passed: ask again after
    ``retry_after`` seconds (the computation goes on; its answer is kept)."""

    http_status = 503

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.extensions = {"code": "COMPUTING", "retryAfter": self.retry_seconds}

    @property
    def retry_seconds(self) -> int:
        """``retry_after`` in whole seconds, at least 1 (HTTP's Retry-After)."""
        return max(1, math.ceil(self.retry_after))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Computing, (str(self), self.retry_after))


class AnalyticsFailed(Graph360Error):
    """An analytic failed in the worker with an error that cannot be sent back as it is."""


@dataclass(frozen=True)
class Answer:
    """One analytic's answer: what the function returned, the graph state it reflects, how
    long the worker took, and whether it came from memory."""

    value: Any
    as_of: dict[str, Any]
    seconds: float
    remembered: bool = False


# --- the worker process ------------------------------------------------------------------------

_worker_location: str | None = None
_worker_store: GraphStore | None = None


def _start_worker(location: str, nice: int, parent: int) -> None:
    """In the worker: lower its priority, and leave when the server does (even killed: a
    SIGKILLed server cannot stop it); the store is opened on the first job."""
    global _worker_location
    _worker_location = location
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)  # nothing it holds needs saving: its store is read-only


def _store_at(version: int) -> GraphStore:
    """The worker's read-only store, reopened when it holds a graph older than ``version``
    (an embedded read-only connection sees the file as it was when it was opened)."""
    global _worker_store
    assert _worker_location is not None
    if _worker_store is not None and facts.graph_version(_worker_store)[0] < version:
        _worker_store.close()
        _worker_store = None
    if _worker_store is None:
        _worker_store = open_store(_worker_location, read_only=True)
    return _worker_store


def _resolve(function: str) -> Callable[..., Any]:
    module, _, name = function.partition(":")
    return getattr(importlib.import_module(module), name)


def _job(function: str, kwargs: dict[str, Any], version: int) -> tuple[Any, dict[str, Any], float]:
    """In the worker: ``function(store, **kwargs)`` on a store at ``version`` or newer."""
    store = _store_at(version)
    seen, written_at = facts.graph_version(store)
    started = time.perf_counter()
    try:
        value = _resolve(function)(store, **kwargs)
    except Exception as error:
        try:  # an error the server can rebuild is sent as it is; any other is summarised
            pickle.loads(pickle.dumps(error))
        except Exception:
            raise AnalyticsFailed(f"{type(error).__name__}: {error}") from None
        raise
    seconds = time.perf_counter() - started
    own = getattr(value, "as_of", None)
    if not (isinstance(own, dict) and "graph_version" in own):
        own = {"graph_version": seen, "written_at": written_at, "projected_at": None}
    return value, own, seconds


def _warm(version: int) -> float:
    """In the worker: open the store and load the current facts projection (the first question
    then pays only its own work). Returns the seconds it took."""
    started = time.perf_counter()
    facts.current(_store_at(version))
    return time.perf_counter() - started


def _pid() -> int:
    return os.getpid()


# --- the server's side -------------------------------------------------------------------------


def _frozen(value: Any) -> Hashable:
    """A hashable, order-independent form of an argument (lists and dicts included)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_frozen(v) for v in value))
    return value


class AnalyticsRunner:
    """The server's analytics worker: submit by function name and keyword arguments."""

    def __init__(
        self,
        location: str,
        *,
        wait_seconds: float = WAIT_SECONDS,
        memo_size: int = MEMO_SIZE,
        max_pending: int = MAX_PENDING,
        nice: int = NICE,
    ) -> None:
        self.location = location
        self.wait_seconds = wait_seconds
        self.memo_size = memo_size
        self.max_pending = max_pending
        self.nice = nice
        self._lock = threading.Lock()
        self._memo: collections.OrderedDict[Hashable, Answer | Exception] = (
            collections.OrderedDict()
        )
        self._pending: dict[Hashable, tuple[concurrent.futures.Future, float]] = {}
        self._took: dict[str, float] = {}
        #: Jobs the worker ran (a remembered or joined answer is not one).
        self.computed = 0
        self._pool = self._new_pool()

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),  # never fork a process with a store
            initializer=_start_worker,
            initargs=(self.location, self.nice, os.getpid()),
        )

    def worker_pid(self) -> int:
        """The worker process's id (it starts it when it is not running)."""
        return self._submit(_pid).result()

    def warm(self, version: int) -> concurrent.futures.Future:
        """Start the worker and load the projection now, not on the first question."""
        return self._submit(_warm, version)

    async def run(
        self,
        function: str,
        version: int,
        *,
        memo: bool = True,
        wait: float | None = None,
        **kwargs: Any,
    ) -> Answer:
        """The answer of ``function(store, **kwargs)`` on the graph at ``version`` (or newer).

        Raises :class:`Computing` when it is not in within ``wait`` seconds (default: the
        runner's limit); the worker's own errors (NotFoundError, ...) are raised as they are.
        ``memo`` false: computed afresh each time (for answers a write may change without
        bumping the version, such as the stored influence scores).
        """
        limit = self.wait_seconds if wait is None else wait
        key = (function, _frozen(kwargs), version)
        with self._lock:
            if memo and key in self._memo:
                self._memo.move_to_end(key)
                found = self._memo[key]
                if isinstance(found, Exception):
                    raise found
                return Answer(found.value, found.as_of, found.seconds, remembered=True)
            pending = self._pending.get(key) if memo else None
            created = pending is None
            if pending is None:
                if len(self._pending) >= self.max_pending:
                    raise Computing(
                        f"the analytics worker is busy with {len(self._pending)} questions: "
                        "ask again later",
                        self._queue_seconds(),
                    )
                pending = (self._submit(_job, function, kwargs, version), time.monotonic())
                self._pending[key] = pending
        if created:
            # Outside the lock: a job already done by now runs the callback in this thread,
            # and _finished takes the lock (inside it, that deadlocked).
            pending[0].add_done_callback(lambda f: self._finished(key, function, memo, f))
        future, started = pending
        waiting = asyncio.wrap_future(future)
        # Retrieved even when nobody waits any more (asyncio would log it as never retrieved):
        # the error is raised to whoever asks again.
        waiting.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            value, as_of, seconds = await asyncio.wait_for(
                asyncio.shield(waiting), timeout=max(limit, 0.0)
            )
        except TimeoutError:
            spent = time.monotonic() - started
            expected = self._took.get(function, DEFAULT_RETRY_SECONDS)
            raise Computing(
                f"still computing {function.rpartition(':')[2]} (for {spent:.0f} s so far): "
                "ask again later",
                max(expected - spent, 1.0),
            ) from None
        return Answer(value, as_of, seconds)

    def _finished(
        self, key: Hashable, function: str, memo: bool, future: concurrent.futures.Future
    ) -> None:
        with self._lock:
            self._pending.pop(key, None)
            if future.cancelled():
                return
            error = future.exception()
            if isinstance(error, concurrent.futures.process.BrokenProcessPool):
                self._pool = self._new_pool()  # the worker died: a new one next time
            if error is not None:
                # A refusal (no such journey, a bad channel) is the answer at this version.
                if memo and isinstance(error, Graph360Error):
                    self._remember(key, error)
                return
            self.computed += 1
            answer = Answer(*future.result())
            self._took[function] = answer.seconds
            if memo:
                self._remember(key, answer)

    def _remember(self, key: Hashable, answer: Answer | Exception) -> None:
        self._memo[key] = answer
        while len(self._memo) > self.memo_size:
            self._memo.popitem(last=False)

    def _queue_seconds(self) -> float:
        now = time.monotonic()
        left = [
            max(self._took.get(key[0], DEFAULT_RETRY_SECONDS) - (now - started), 1.0)
            for key, (_, started) in self._pending.items()
        ]
        return sum(left) or DEFAULT_RETRY_SECONDS

    def _submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        try:
            return self._pool.submit(fn, *args)
        except concurrent.futures.process.BrokenProcessPool:
            self._pool = self._new_pool()
            return self._pool.submit(fn, *args)

    def close(self) -> None:
        """Stop the worker; a computation in progress is abandoned (nothing it does writes)."""
        # shutdown() forgets its processes: take them first, so none is left behind.
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)
