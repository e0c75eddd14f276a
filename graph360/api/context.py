"""What every resolver gets: the store (behind its worker threads), the caller, the loaders.

Store calls are blocking, so they run on worker threads, never on the event loop, each thread
with its own database connection: two threads for the interactive reads (cards, searches; the
store releases the GIL while it works, so two cards use both cores), one for the writes (one
write transaction at a time: they queue here rather than fail in the store), and one for the
offer model the card reads. The analytics themselves run in a worker process of their own at a
lower priority (graph360.api.compute), so a minute-long projection does not hold up an agent's
card.

DataLoaders collect every key one field asks for across a list (twenty customers' flags, say)
and answer them in one batch per request, each key once. On LadybugDB a batch is a run of key
lookups: measured at one million customers, a key lookup costs 0.2 ms while the same question
for a list of keys (``WHERE c.customer_id IN $ids`` or ``UNWIND``) scans the table (140 ms to
over a second), so the loader's batch asks key by key on the store's thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph360 import facts
from graph360.analytics.routing import route_now
from graph360.api.auth import Principal
from graph360.api.compute import AnalyticsRunner, Answer
from graph360.ingest.writer import EventWriter
from graph360.privacy import Audience
from graph360.store.base import GraphStore

T = TypeVar("T")


class StoreRunner:
    """Runs store work off the event loop: reads, writes and analytics on their own threads.

    Every write goes through ``events`` (graph360.ingest.writer.EventWriter), the one writing
    thread: streamed events are group-committed there, other writes run there in order.
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        readers: int = 2,
        query_seconds: float | None = None,
        max_pending_events: int = 10_000,
        analytics: AnalyticsRunner | None = None,
    ) -> None:
        self.store = store
        #: The analytics worker process (graph360.api.compute).
        self.analytics = analytics or AnalyticsRunner(store.location)
        self._reads = ThreadPoolExecutor(
            readers,
            thread_name_prefix="graph360-read",
            initializer=store.for_short_queries,
            initargs=(query_seconds,),
        )
        self.events = EventWriter(store, max_pending=max_pending_events, router=route_now)
        self._analytics = ThreadPoolExecutor(1, thread_name_prefix="graph360-analytics")

    async def run(
        self, work: Callable[[GraphStore], T], *, analytics: bool = False, write: bool = False
    ) -> T:
        if write:
            return await asyncio.wrap_future(self.events.call(work))
        pool = self._analytics if analytics else self._reads
        return await asyncio.get_running_loop().run_in_executor(pool, work, self.store)

    async def version(self) -> int:
        """The graph's version as committed now (one key lookup on a read thread)."""
        return (await self.run(facts.graph_version))[0]

    async def analytic(self, function: str, *, memo: bool = True, **kwargs: Any) -> Answer:
        """``function(store, **kwargs)`` (``"module:function"``) in the analytics worker, on the
        graph as committed now: raises graph360.api.compute.Computing past the wait limit."""
        return await self.analytics.run(function, await self.version(), memo=memo, **kwargs)

    async def record_events(self, events: list[Any]) -> list[Any]:
        """Outcomes of ``events`` once their group has committed (Backpressure when full)."""
        return await asyncio.wrap_future(self.events.submit(events))

    def close(self) -> None:
        self.events.close()
        self.analytics.close()
        for pool in (self._reads, self._analytics):
            pool.shutdown(wait=True)
        self.store.close()


@dataclass
class Context:
    runner: StoreRunner
    principal: Principal
    _loaders: dict[str, DataLoader] = field(default_factory=dict)

    def can(self, permission: str) -> bool:
        return self.principal.can(permission)

    @property
    def sees_contacts(self) -> bool:
        return self.can("pii:read")

    @property
    def audience(self) -> Audience:
        """How this caller sees contact details, on every field and in every text."""
        return Audience(sees_contacts=self.sees_contacts)

    async def run(self, work: Callable[[GraphStore], T], *, analytics: bool = False) -> T:
        """Read: ``work`` must not write (it may run beside other reads)."""
        return await self.runner.run(work, analytics=analytics)

    async def analytic(self, function: str, *, memo: bool = True, **kwargs: Any) -> Answer:
        """An analytic in the worker process (see :meth:`StoreRunner.analytic`)."""
        return await self.runner.analytic(function, memo=memo, **kwargs)

    async def write(self, work: Callable[[GraphStore], T]) -> T:
        """Write (and read back): on the one writing thread, after the writes before it."""
        return await self.runner.run(work, write=True)

    async def rows(self, query: str, key: str, value: Any) -> list[dict[str, Any]]:
        """The rows of the named per-key ``query`` for ``key=value``, batched per request."""
        loader = self._loaders.get(query)
        if loader is None:
            loader = self._loaders[query] = DataLoader(self._batch(query, key))
        return await loader.load(value)

    def _batch(self, query: str, key: str) -> Callable[[list[Any]], Any]:
        async def load(values: list[Any]) -> list[list[dict[str, Any]]]:
            def work(store: GraphStore) -> list[list[dict[str, Any]]]:
                return [store.query(query, **{key: value}) for value in values]

            return await self.run(work)

        return load
