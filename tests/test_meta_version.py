"""The graph's version (Meta): read and bumped by the named queries, inside a transaction."""

from __future__ import annotations

import datetime as dt

from graph360.store import GraphStore


def test_meta_version_and_test_meta_bump(store: GraphStore) -> None:
    assert store.query("meta_version", meta="graph") == []
    first = dt.datetime(2026, 12, 2, 10, 0)
    with store.atomic():
        assert store.write("meta_bump", meta="graph", now=first) == [
            {"version": 1, "written_at": first}
        ]
    second = dt.datetime(2026, 12, 2, 11, 0)
    store.write("meta_bump", meta="graph", now=second)
    assert store.query("meta_version", meta="graph") == [{"version": 2, "written_at": second}]
