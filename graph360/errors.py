"""The one error tree: everything graph360 raises on purpose is a Graph360Error.

    Graph360Error                  exit 1 · HTTP 400 · its message is for the caller
    ├── StoreError                 HTTP 500, not shown to API callers (it may quote a query)
    │   ├── StoreLockedError       HTTP 503: another process holds the embedded database
    │   ├── QueryTimeoutError      HTTP 503, shown: a read ran past the API's time limit
    │   └── StaleFactsError        (graph360.facts) the projection is older than the graph
    ├── NotFoundError              HTTP 404: a customer, journey or other thing does not exist
    ├── QueryNotFoundError         HTTP 500, not shown: no named query of that name
    ├── BundleError                an import bundle cannot be read at all (missing file, columns)
    │   └── MappingError           a source mapping is malformed or does not fit its export
    ├── InvalidRecordError         a record given on its own breaks a rule; nothing was written
    ├── InvalidRequestError        exit 2: a request or argument the caller must change (a
    │   │                          period, a window, a cursor, a view parameter)
    │   ├── ViewParameterError     (graph360.views) a view's parameter
    │   └── EngagementError        (graph360.analytics.engagement) an engagement question
    ├── KeyFileError               (graph360.api.auth) HTTP 503, not shown: the key file
    └── Backpressure               (graph360.ingest.writer) HTTP 429: the write queue is full

Each class carries how every surface reports it: ``exit_code`` (the CLI), ``http_status``
(the views, ``/events``, and the HTTP answer around GraphQL) and ``public`` (whether its message
may reach a caller of the API; a message that is not is logged for the operator and the caller
gets a generic one). Surfaces map errors from these, never from a list of classes.

A row of a bundle that breaks a rule is not an exception: it is a rejected row in the load
report. A record given on its own has no report to go to, so there it is InvalidRecordError.
The CLI prints these errors as one line; nothing reaches a user as a traceback.
"""

from __future__ import annotations

from typing import ClassVar


class Graph360Error(Exception):
    """Base of every error graph360 raises on purpose."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400
    public: ClassVar[bool] = True


class StoreError(Graph360Error):
    http_status = 500
    public = False

    def __init__(self, message: str, query: str | None = None) -> None:
        super().__init__(f"{message} (query: {query})" if query else message)
        self.query = query


class StoreLockedError(StoreError):
    http_status = 503


class QueryTimeoutError(StoreError):
    """A read stopped at the time limit its thread was given (``for_short_queries``): the
    caller asked for more than a request may cost, and is told so."""

    http_status = 503
    public = True


class NotFoundError(Graph360Error):
    http_status = 404


class QueryNotFoundError(Graph360Error):
    http_status = 500
    public = False


class BundleError(Graph360Error):
    pass


class MappingError(BundleError):
    pass


class InvalidRequestError(Graph360Error):
    """A request the caller must change (a bad cursor, a period or window out of range, a view
    parameter): usage, so the CLI exits 2 as for an unknown option."""

    exit_code = 2


class InvalidRecordError(Graph360Error):
    """A record given on its own broke a rule, so nothing was written.

    ``problems`` maps each input (``touchpoint``, ``customer``) to its reasons, worded as the
    bulk loader words a rejected row (``unknown journey step 'buy-9'``, ``rating 7 outside its
    scale 1..5``): each names the field and the value. ``reasons`` is all of them, in order.
    """

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = {name: list(reasons) for name, reasons in problems.items() if reasons}
        self.reasons = [reason for reasons in self.problems.values() for reason in reasons]
        super().__init__(
            "; ".join(f"{name}: {reason}" for name, rs in self.problems.items() for reason in rs)
        )
