"""How the API runs (the server's limits, keys and store); the defaults are the safe ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from graph360.api.compute import WAIT_SECONDS


@dataclass
class ApiSettings:
    """How the API runs; the defaults are the safe ones."""

    store: str | None = None
    keys: str | Path | None = None
    introspection: bool = False
    debug: bool = False  # show every error's message (never stack traces or query text)
    cors_origins: list[str] = field(default_factory=list)
    max_depth: int = 10
    max_tokens: int = 2000
    max_aliases: int = 15
    #: Events waiting to be written; more: 429 (POST /events). About two seconds of what the
    #: writer takes at 1M customers (~900/s, bench/realtime.py): 10,000 let acknowledgements
    #: wait 10-13 s under overload before anything was refused.
    max_pending_events: int = 2_000
    #: An embedded store's write-ahead log size past which a commit checkpoints (LadybugDB's
    #: default is 16 MiB). A checkpoint holds the writer ~1.1 s + 0.025 s a MiB at 1M / 10M
    #: (docs/DECISIONS.md), so the writer takes it in a pause (graph360.ingest.events) and the
    #: engine only past this: 64 MiB is about 75,000 touchpoints, over a minute at 1,000/s.
    checkpoint_bytes: int = 64 << 20
    #: Request bodies larger than this are refused with 413 before they are read whole:
    #: GraphQL and the views' requests, and POST /events (up to 5,000 events a request).
    max_body_bytes: int = 2 << 20
    max_events_body_bytes: int = 16 << 20
    #: The most values (every item and field, counted through lists and objects) the
    #: variables of one GraphQL request may hold: the token limit counts the document only.
    max_variable_values: int = 100_000
    #: The most a document may cost (graph360.api.limits: fields times the pages they repeat
    #: in; an analytics field 10,000): a card costs a few hundred.
    max_cost: int = 65_000
    #: Requests a second one key may make on average, and at once (beyond: 429).
    rate_per_key: float = 200.0
    rate_burst: int = 400
    #: Connections and requests in flight the server takes at once (beyond: 503).
    max_connections: int = 1_000
    #: A connection whose request line and headers are not in after this long, or whose body
    #: sends nothing for this long, is closed (graph360.api.http): a slowloris cannot hold
    #: the ``max_connections`` slots.
    read_seconds: float = 10.0
    #: GraphQL reads (queries) served at once; one more is refused at once with 503 +
    #: Retry-After rather than queued behind them. Two reader threads at ~20 ms a card at 1M
    #: customers: eight in flight is about 80 ms of waiting, so an overloaded server keeps the
    #: accepted cards' p99 within the issue-13 target (250 ms) and refuses the excess fast.
    #: 0: no limit.
    max_reads_in_flight: int = 8
    #: How long a request waits for an analytic before it gets a COMPUTING error (GraphQL) or
    #: a 503 with Retry-After (views); the computation goes on (graph360.api.compute).
    analytics_wait: float = WAIT_SECONDS
    #: A GraphQL read that has not answered in this time gets a 503 (Retry-After), and each
    #: query it ran stops there too (the store's own timeout): the cost limit bounds what a
    #: document may ask, this bounds what a slow store may take. Above ``analytics_wait``, so
    #: an analytic answers COMPUTING first. Mutations are not cut: a write once queued lands.
    max_request_seconds: float = 15.0
