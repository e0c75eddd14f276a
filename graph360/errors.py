"""The one error tree: everything graph360 raises on purpose is a Graph360Error.

    Graph360Error
    ├── StoreError            the database refused or failed a query (carries the query's name)
    │   └── StoreLockedError  another process holds the embedded database for writing
    ├── NotFoundError         a customer, journey or other thing asked for does not exist
    ├── QueryNotFoundError    no named query with that name in queries/
    ├── BundleError           an import bundle cannot be read at all (missing file, columns)
    │   └── MappingError      a source mapping is malformed or does not fit its export
    └── InvalidRecordError    a record given on its own (one touchpoint) breaks a rule; nothing
                              was written (carries every reason, per input)

A row of a bundle that breaks a rule is not an exception: it is a rejected row in the load
report. A record given on its own has no report to go to, so there it is InvalidRecordError.
The CLI prints these errors as one line and exits non-zero; nothing reaches a user as a traceback.
"""

from __future__ import annotations


class Graph360Error(Exception):
    """Base of every error graph360 raises on purpose."""


class StoreError(Graph360Error):
    def __init__(self, message: str, query: str | None = None) -> None:
        super().__init__(f"{message} (query: {query})" if query else message)
        self.query = query


class StoreLockedError(StoreError):
    pass


class NotFoundError(Graph360Error):
    pass


class QueryNotFoundError(Graph360Error):
    pass


class BundleError(Graph360Error):
    pass


class MappingError(BundleError):
    pass


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
