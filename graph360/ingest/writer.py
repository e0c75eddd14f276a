"""The store's one writing thread (``EventWriter``): event batches group-committed in one
transaction, other writes run in order on the same thread, and a bounded queue that refuses at
once when full (``Backpressure``) instead of queueing until callers time out. What one group
does is graph360.ingest.events' ``apply_events``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from graph360.errors import Graph360Error
from graph360.ingest import identity
from graph360.ingest.events import apply_events
from graph360.ingest.realtime import Router
from graph360.periods import utc_now
from graph360.store.base import GraphStore

log = logging.getLogger(__name__)
T = TypeVar("T")


class Backpressure(Graph360Error):
    """The write queue is full: try again after ``retry_after`` seconds."""

    http_status = 429

    def __init__(self, pending: int, limit: int, retry_after: int = 1) -> None:
        super().__init__(
            f"the write queue is full ({pending} of {limit} events waiting): retry later"
        )
        self.retry_after = retry_after


@dataclass
class _Request:
    events: list[Mapping[str, Any]]
    future: Future


@dataclass
class _Call:
    work: Callable[[GraphStore], Any]
    future: Future


class EventWriter:
    """The store's one writing thread: event batches group-committed, other writes in order.

    ``max_pending`` bounds the events waiting (a batch that would pass it is refused with
    :class:`Backpressure`); ``max_group`` is about how many events one transaction takes
    (whole requests: one over it is applied alone). ``router`` routes customers after their
    events (none: no routing); routing runs when no events wait, or once a customer has
    waited ``max_route_delay`` seconds for it (so a sustained stream cannot starve it; the
    events queued meanwhile wait for it, about a second at 1M customers).

    Once nothing has arrived for ``quiet_seconds`` after a write, the writer checkpoints the
    store if its log holds ``quiet_checkpoint_bytes`` or more (``GraphStore.checkpoint``):
    a LadybugDB checkpoint holds the writer ~1.1 s plus 0.025 s a MiB of log at 1M / 10M, so
    it is taken in a pause rather than by the commit that passes the engine's threshold.
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        max_pending: int = 10_000,
        max_group: int = 2_000,
        router: Router | None = None,
        max_route_delay: float = 10.0,
        max_shared: int = identity.DEFAULT_MAX_SHARED,
        default_region: str = identity.DEFAULT_REGION,
        quiet_seconds: float = 0.5,
        quiet_checkpoint_bytes: int = 4 << 20,
    ) -> None:
        self.store = store
        self.max_pending = max_pending
        self.max_group = max_group
        self.router = router
        self.max_route_delay = max_route_delay
        self.quiet_seconds = quiet_seconds
        self.quiet_checkpoint_bytes = quiet_checkpoint_bytes
        self._written = False  # any work since the last pause
        self.checkpoints = 0  # quiet checkpoints taken, for the benchmark and tests
        self.settings = {"max_shared": max_shared, "default_region": default_region}
        self._queue: deque[_Request | _Call] = deque()
        self._pending = 0
        self._to_route: set[str] = set()
        self._route_by = 0.0  # when the customers waiting for routing must be routed
        self._lock = threading.Condition()
        self._closed = False
        self.groups = 0  # groups committed, for the benchmark and tests
        self._thread = threading.Thread(target=self._run, name="graph360-write", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, events: list[Mapping[str, Any]]) -> Future:
        """Queue ``events``; the future gives their outcomes once their group has committed.
        Raises Backpressure at once when the queue cannot take them."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the event writer is closed")
            if self._pending and self._pending + len(events) > self.max_pending:
                raise Backpressure(self._pending, self.max_pending)
            self._queue.append(_Request(list(events), future))
            self._pending += len(events)
            self._lock.notify()
        return future

    def call(self, work: Callable[[GraphStore], T]) -> Future:
        """Run ``work(store)`` on the writing thread, after everything queued before it."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the event writer is closed")
            self._queue.append(_Call(work, future))
            self._lock.notify()
        return future

    def close(self) -> None:
        """Finish what is queued (routing included), then stop."""
        with self._lock:
            self._closed = True
            self._lock.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                state = self._wait()
            if state == "closed":
                return
            if state == "quiet":
                self._checkpoint()
                continue
            with self._lock:
                overdue = self._to_route and time.monotonic() >= self._route_by
                item = self._queue.popleft() if self._queue and not overdue else None
                group: list[_Request] = []
                if isinstance(item, _Request):
                    group.append(item)
                    size = len(item.events)
                    while (
                        self._queue
                        and isinstance(self._queue[0], _Request)
                        and size + len(self._queue[0].events) <= self.max_group
                    ):
                        nxt = self._queue.popleft()
                        assert isinstance(nxt, _Request)
                        group.append(nxt)
                        size += len(nxt.events)
                customers = set()
                if item is None:
                    customers, self._to_route = self._to_route, set()
            if isinstance(item, _Call):
                _settle(item.future, item.work, self.store)
            elif group:
                self._apply(group)
            elif customers:
                self._route(customers)

    def _apply(self, group: list[_Request]) -> None:
        events = [event for request in group for event in request.events]
        started = time.perf_counter()
        try:
            outcomes, routed = apply_events(self.store, events, **self.settings)
        except BaseException as error:  # the group rolled back: each caller hears why
            for request in group:
                request.future.set_exception(error)
            outcomes, routed = None, set()
        finally:
            with self._lock:
                self._pending -= len(events)
        if outcomes is None:
            return
        self.groups += 1
        log.debug("group of %d events in %.3f s", len(events), time.perf_counter() - started)
        start = 0
        for request in group:
            mine = outcomes[start : start + len(request.events)]
            for outcome in mine:
                outcome.index -= start
            start += len(request.events)
            request.future.set_result(mine)
        if self.router is not None and routed:
            with self._lock:
                if not self._to_route:
                    self._route_by = time.monotonic() + self.max_route_delay
                self._to_route |= routed

    def _wait(self) -> str:
        """Under the lock: ``"work"`` once there is some, ``"closed"`` once closed and done,
        ``"quiet"`` once nothing has come for ``quiet_seconds`` after the last work."""
        while not self._queue and not self._to_route:
            if self._closed:
                return "closed"
            if not self._lock.wait(self.quiet_seconds if self._written else None):
                self._written = False
                return "quiet"
        self._written = True
        return "work"

    def _checkpoint(self) -> None:
        started = time.perf_counter()
        try:
            if self.store.checkpoint(self.quiet_checkpoint_bytes):
                self.checkpoints += 1
                log.info("checkpointed in a pause in %.2f s", time.perf_counter() - started)
        except Exception:  # the engine checkpoints at its own threshold anyway; log it
            log.exception("checkpointing the store in a pause failed")

    def _route(self, customers: set[str]) -> None:
        assert self.router is not None  # customers wait for routing only when there is one
        try:
            with self.store.atomic():
                self.router(self.store, sorted(customers), utc_now())
        except Exception:  # routing is retried with the customer's next event; log it
            log.exception("routing %d customers after their events failed", len(customers))


def _settle(future: Future, work: Callable[[GraphStore], Any], store: GraphStore) -> None:
    try:
        future.set_result(work(store))
    except BaseException as error:
        future.set_exception(error)
