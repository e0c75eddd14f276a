"""NDJSON events from a file (followed as it grows, like ``tail -F``) or a stream, in batches.

``graph360 ingest`` reads touchpoint events one JSON object a line and records them through
:func:`graph360.ingest.events.apply_events`, the path ``POST /events`` takes: the loader's
rules, identity resolution, idempotence by ``touchpoint_id`` and one transaction per batch.

Reading and writing are apart: a reader thread turns lines (:func:`lines_of`) into a bounded
queue and the caller's thread takes them in batches of up to ``batch_size`` events or
``batch_seconds`` after the first one waiting, whichever comes first, so a quiet stream
still lands within about ``batch_seconds`` and a busy one gets big, cheap transactions.
A stop request (``stop``, set by Ctrl-C / SIGTERM in the command) is honoured between
batches, never inside one: what was read is written before the summary, and a batch either
commits or rolls back whole. Sending the same file again is safe: its events are duplicates.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from graph360.ingest import identity
from graph360.ingest.events import EventOutcome, apply_events
from graph360.ingest.realtime import Router
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = ["IngestSummary", "LineReject", "ingest_lines", "lines_of"]

#: How often a followed file is looked at again once its end is reached.
POLL_SECONDS = 0.1
_END = object()  # the reader is done: end of the stream, or of a file not followed


@dataclass
class LineReject:
    """A line that recorded nothing: its number (from 1) and why."""

    line: int
    touchpoint_id: str | None
    reasons: list[str]


@dataclass
class IngestSummary:
    lines: int = 0  # non-blank lines read
    recorded: int = 0
    duplicate: int = 0
    rejected: int = 0
    batches: int = 0
    routed: int = 0  # customers the routing rules looked at again
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lines_of(
    source: str | Path | IO[str], *, follow: bool, stop: threading.Event
) -> Iterator[tuple[int, str]]:
    """The numbered lines of ``source``: ``"-"`` or an open stream (read to its end), or a
    file path, followed as it grows when ``follow`` (a file replaced or truncated is read again
    from its start, as ``tail -F`` does) until ``stop`` is set. Run in the reader thread."""
    if not isinstance(source, str | Path):
        yield from _numbered(source)
    elif str(source) == "-":
        import sys

        yield from _numbered(sys.stdin)
    elif follow:
        yield from _follow_file(Path(source), stop)
    else:
        with Path(source).open(encoding="utf-8") as handle:
            yield from _numbered(handle)


def _numbered(lines: Iterator[str] | IO[str]) -> Iterator[tuple[int, str]]:
    return enumerate(lines, start=1)


def _follow_file(path: Path, stop: threading.Event) -> Iterator[tuple[int, str]]:
    """Numbered lines of ``path`` as they are appended; a line is complete at its newline (a
    partial last line waits for the rest). Reopened from the start, numbered from 1 again,
    when the file at ``path`` is a new one (rotation) or shorter than what was read
    (truncation)."""
    handle: IO[str] | None = None
    partial = ""
    number = 0
    try:
        while not stop.is_set():
            if handle is None:
                try:
                    handle = path.open(encoding="utf-8", newline="")
                    number = 0
                except FileNotFoundError:  # not there yet, or between a rotation's steps
                    stop.wait(POLL_SECONDS)
                    continue
            chunk = handle.readline()
            if chunk:
                partial += chunk
                if partial.endswith("\n"):
                    number += 1
                    yield number, partial
                    partial = ""
                continue
            if _replaced(path, handle):
                handle.close()
                handle, partial = None, ""
                continue
            stop.wait(POLL_SECONDS)
    finally:
        if handle is not None:
            handle.close()


def _replaced(path: Path, handle: IO[str]) -> bool:
    """Whether ``path`` now names another file than ``handle``, or was truncated."""
    try:
        now = path.stat()
    except FileNotFoundError:
        return False  # removed: keep the old one until a new file appears
    mine = os.fstat(handle.fileno())
    return (now.st_ino, now.st_dev) != (mine.st_ino, mine.st_dev) or now.st_size < handle.tell()


def ingest_lines(
    store: GraphStore,
    lines: Callable[[threading.Event], Iterator[tuple[int, str]]],
    *,
    batch_size: int = 1_000,
    batch_seconds: float = 0.5,
    stop: threading.Event | None = None,
    on_reject: Callable[[LineReject], None] | None = None,
    on_batch: Callable[[IngestSummary], None] | None = None,
    router: Router | None = None,
    max_shared: int = identity.DEFAULT_MAX_SHARED,
    default_region: str = identity.DEFAULT_REGION,
) -> IngestSummary:
    """Record the events of ``lines(stop)`` (numbered NDJSON lines, read in a thread) in
    batches, until the lines end or ``stop`` is set; every line read is written (or rejected)
    before this returns. A line that is not a JSON object is rejected with its reason.

    Routing (``router``; none: no routing) runs as on the API's writer (``EventWriter``): for
    the customers whose events carry something a rule reads, in its own transaction, when no
    line is waiting (and at the end), not inside a batch: it costs about a second at 1M
    customers."""
    stop = stop or threading.Event()
    waiting: queue.Queue[Any] = queue.Queue(maxsize=batch_size * 4)  # bounds what is read ahead
    summary = IngestSummary()
    started = time.perf_counter()

    def read() -> None:
        try:
            for item in lines(stop):
                while not stop.is_set():
                    try:
                        waiting.put(item, timeout=POLL_SECONDS)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
        except BaseException as error:  # the reader's failure ends the ingest, said once
            waiting.put(error)
        finally:
            waiting.put(_END)

    reader = threading.Thread(target=read, name="graph360-ingest-read", daemon=True)
    reader.start()
    ended = False
    to_route: set[str] = set()
    while not ended:
        batch: list[tuple[int, str]] = []
        deadline = None
        while len(batch) < batch_size:
            timeout = POLL_SECONDS if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = waiting.get(timeout=timeout)
            except queue.Empty:
                if deadline is not None or stop.is_set():
                    break  # the batch's time is up, or a stop was asked for
                continue
            if item is _END:
                ended = True
                break
            if isinstance(item, BaseException):
                raise item
            batch.append(item)
            deadline = deadline or time.monotonic() + batch_seconds
        if batch:
            to_route |= _apply(store, batch, summary, on_reject, max_shared, default_region)
            if on_batch is not None:
                on_batch(summary)
        if router and to_route and (waiting.empty() or ended):
            summary.routed += _route(store, to_route, router)
            to_route = set()
        if stop.is_set() and waiting.empty():
            break
    if router and to_route:
        summary.routed += _route(store, to_route, router)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _apply(
    store: GraphStore,
    batch: list[tuple[int, str]],
    summary: IngestSummary,
    on_reject: Callable[[LineReject], None] | None,
    max_shared: int,
    default_region: str,
) -> set[str]:
    """Record one batch; the customers it leaves for routing."""
    events: list[Any] = []
    numbers: list[int] = []
    for number, line in batch:
        if not line.strip():
            continue
        summary.lines += 1
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as error:
            _reject(summary, on_reject, LineReject(number, None, [f"not JSON: {error}"]))
            continue
        numbers.append(number)
    if not events:
        return set()
    outcomes: list[EventOutcome]
    outcomes, routed = apply_events(
        store, events, max_shared=max_shared, default_region=default_region
    )
    summary.batches += 1
    for number, outcome in zip(numbers, outcomes, strict=True):
        if outcome.status == "recorded":
            summary.recorded += 1
        elif outcome.status == "duplicate":
            summary.duplicate += 1
        else:
            _reject(summary, on_reject, LineReject(number, outcome.touchpoint_id, outcome.reasons))
    return routed


def _route(store: GraphStore, customers: set[str], router: Router) -> int:
    """The routing rules for ``customers``, in their own transaction."""
    with store.atomic():
        router(store, sorted(customers), utc_now())
    return len(customers)


def _reject(
    summary: IngestSummary, on_reject: Callable[[LineReject], None] | None, reject: LineReject
) -> None:
    summary.rejected += 1
    if on_reject is not None:
        on_reject(reject)
