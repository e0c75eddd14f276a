"""The one error tree: everything graph360 raises on purpose is a Graph360Error.

    Graph360Error
    ├── StoreError            the database refused or failed a query (carries the query's name)
    │   └── StoreLockedError  another process holds the embedded database for writing
    ├── NotFoundError         a customer, journey or other thing asked for does not exist
    ├── QueryNotFoundError    no named query with that name in queries/
    └── BundleError           an import bundle cannot be read at all (missing file, columns)
        └── MappingError      a source mapping is malformed or does not fit its export

A row that breaks a rule is not an exception: it is a rejected row in the load report.
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
