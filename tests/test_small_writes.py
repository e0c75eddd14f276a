"""The embedded store's two upsert paths give the same graph.

Up to ``SMALL_NODE_ROWS`` / ``SMALL_RELATIONSHIP_ROWS`` rows an upsert goes a row at a time by
key; above it, in bulk (``LOAD FROM`` for existing rows, ``COPY`` for new ones). Each test runs
the same writes on two real LadybugDB stores, one forced onto each path, and compares everything
stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from graph360 import model
from graph360.errors import StoreError
from graph360.store import embedded
from graph360.store.embedded import EmbeddedStore

PATHS = {"by key": 10**6, "bulk": 0}


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[dict[str, EmbeddedStore]]:
    opened = {}
    for path in PATHS:
        opened[path] = EmbeddedStore(tmp_path / f"{path.replace(' ', '-')}.lbug")
        opened[path].apply_schema()
    yield opened
    for store in opened.values():
        store.close()


def on_each(
    stores: dict[str, EmbeddedStore], monkeypatch: pytest.MonkeyPatch, write: Callable[..., Any]
) -> dict[str, Any]:
    """``write(store)`` on each store, with the threshold that forces that store's path."""
    answers = {}
    for path, store in stores.items():
        monkeypatch.setattr(embedded, "SMALL_NODE_ROWS", PATHS[path])
        monkeypatch.setattr(embedded, "SMALL_RELATIONSHIP_ROWS", PATHS[path])
        answers[path] = write(store)
    return answers


def graph(store: EmbeddedStore) -> dict[str, list[dict[str, Any]]]:
    """Every node and relationship with every property (NaN and None both as None)."""

    def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
        frame = frame.astype(object).where(frame.notna(), None)
        return frame.to_dict("records")

    found = {label: rows(store.all_nodes(label)) for label in model.NODES}
    found |= {rel: rows(store.all_relationships(rel)) for rel in model.RELATIONSHIPS}
    return found


def writes(store: EmbeddedStore) -> list[int]:
    """Upserts touching every case: new and existing keys, keys repeated in a batch, given and
    not-given properties, parallel relationships told apart by identity, types to cast."""
    at = dt.datetime(2026, 11, 2, 10, 30)
    created = [
        store.upsert_nodes(
            "Customer",
            pa.table(
                {
                    "customer_id": ["a", "b", "c", "a"],
                    "name": ["A0", "B", "C", "A"],
                    "city": ["Oslo", "Rome", None, "Paris"],
                    "created_at": [at, at, None, at],
                }
            ),
        ),
        # only the name is given: every customer keeps its city and created_at
        store.upsert_nodes("Customer", pa.table({"customer_id": ["a", "d"], "name": ["A2", "D"]})),
        store.upsert_nodes(
            "Account", pa.table({"account_id": ["acc"], "value": pa.array([12], pa.int64())})
        ),
        store.upsert_nodes(
            "Touchpoint",
            pa.table({"touchpoint_id": ["t1", "t2"], "at": [at, at], "channel": ["web", "call"]}),
        ),
        store.upsert_nodes("JourneyStep", pa.table({"step_id": ["s1"], "name": ["Buy"]})),
        store.upsert_relationships(
            "RELATED",
            pa.table(
                {
                    "from": ["a", "a", "a", "b"],
                    "to": ["b", "b", "b", "c"],
                    "kind": ["knows", "household", "knows", "follows"],
                    "weight": [1.0, 2.0, 3.0, None],
                    "since": [at, at, None, at],
                }
            ),
        ),
        # an existing pair of ends and kind: updated, not added; "since" is not given: kept
        store.upsert_relationships(
            "RELATED", pa.table({"from": ["a"], "to": ["b"], "kind": ["household"], "weight": [7]})
        ),
        store.upsert_relationships(
            "HOLDS", pa.table({"from": ["a", "b"], "to": ["acc", "acc"], "role": ["owner", "user"]})
        ),
        store.upsert_relationships("HOLDS", pa.table({"from": ["b"], "to": ["acc"]})),
        store.upsert_relationships("HAD", pa.table({"from": ["a", "b"], "to": ["t1", "t2"]})),
        store.upsert_relationships("AT_STEP", pa.table({"from": ["t1", "t2"], "to": ["s1", "s1"]})),
    ]
    return created


def test_both_paths_write_the_same_graph_and_count_the_same(stores, monkeypatch) -> None:
    created = on_each(stores, monkeypatch, writes)
    assert created["by key"] == created["bulk"] == [3, 1, 1, 2, 1, 3, 0, 2, 0, 2, 2]
    assert graph(stores["by key"]) == graph(stores["bulk"])
    customers = {row["customer_id"]: row for row in graph(stores["by key"])["Customer"]}
    assert (customers["a"]["name"], customers["a"]["city"]) == ("A2", "Paris")  # city kept
    assert customers["d"]["city"] is None
    related = graph(stores["by key"])["RELATED"]
    assert [(r["from"], r["to"], r["kind"], r["weight"]) for r in related] == [
        ("a", "b", "household", 7.0),
        ("a", "b", "knows", 3.0),
        ("b", "c", "follows", None),
    ]
    assert related[0]["since"] == dt.datetime(2026, 11, 2, 10, 30)  # not given: kept
    holds = graph(stores["by key"])["HOLDS"]
    assert [r["role"] for r in holds] == ["owner", "user"]  # role not given the second time
    assert graph(stores["by key"])["Account"][0]["value"] == 12.0


def test_writing_everything_again_changes_nothing(stores, monkeypatch) -> None:
    on_each(stores, monkeypatch, writes)
    before = {path: graph(store) for path, store in stores.items()}
    again = on_each(stores, monkeypatch, writes)
    assert again["by key"] == again["bulk"] == [0] * 11
    assert {path: graph(store) for path, store in stores.items()} == before


@pytest.mark.parametrize("inside_atomic", [False, True])
def test_a_relationship_to_a_missing_node_fails_and_writes_nothing(
    stores, monkeypatch, inside_atomic
) -> None:
    on_each(stores, monkeypatch, writes)
    before = graph(stores["bulk"])
    # the first row is fine, the second names an account nobody has
    rows = pa.table({"from": ["c", "d"], "to": ["acc", "nowhere"], "role": ["owner", "owner"]})

    def fail(store: EmbeddedStore) -> str:
        with pytest.raises(StoreError) as error:
            if inside_atomic:
                with store.atomic():
                    store.upsert_nodes("Customer", pa.table({"customer_id": ["e"]}))
                    store.upsert_relationships("HOLDS", rows)
            else:
                store.upsert_relationships("HOLDS", rows)
        return str(error.value)

    messages = on_each(stores, monkeypatch, fail)
    assert "nowhere" in messages["by key"] and "nowhere" in messages["bulk"]
    assert graph(stores["by key"]) == graph(stores["bulk"]) == before
    # and each store goes on working
    on_each(stores, monkeypatch, lambda s: s.upsert_relationships("HOLDS", rows.slice(0, 1)))
    assert graph(stores["by key"]) == graph(stores["bulk"]) != before


def test_a_small_batch_copies_nothing_and_a_big_one_does(tmp_path, monkeypatch) -> None:
    """The default threshold picks the path: a few rows never reach COPY (whose cost grows
    with the table), a batch above the threshold is copied in one statement."""
    with EmbeddedStore(tmp_path / "g.lbug") as store:
        store.apply_schema()
        texts: list[str] = []
        real = store._run

        def run(text: str, params: dict[str, Any], *, write: bool = True) -> list[dict[str, Any]]:
            texts.append(text)
            return real(text, params, write=write)

        monkeypatch.setattr(store, "_run", run)
        few = [f"c{i}" for i in range(embedded.SMALL_NODE_ROWS)]
        assert store.upsert_nodes("Customer", pa.table({"customer_id": few})) == len(few)
        assert not [t for t in texts if t.startswith("COPY")]
        many = [f"m{i}" for i in range(embedded.SMALL_NODE_ROWS + 1)]
        assert store.upsert_nodes("Customer", pa.table({"customer_id": many})) == len(many)
        assert [t for t in texts if t.startswith("COPY")] == ["COPY Customer FROM $rows"]
