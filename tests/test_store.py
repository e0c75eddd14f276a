"""The store's own promises: upserts by key, parallel relationships, merges, schema."""

from __future__ import annotations

import pyarrow as pa

from graph360 import model


def test_upserting_nodes_inserts_new_keys_and_sets_only_given_properties(store) -> None:
    created = store.upsert_nodes(
        "Customer", pa.table({"customer_id": ["a", "b"], "name": ["A", "B"], "city": ["X", "Y"]})
    )
    assert created == 2
    # repeated keys in one batch: the last row wins; "city" is not given, so it is kept
    created = store.upsert_nodes(
        "Customer", pa.table({"customer_id": ["a", "c", "a"], "name": ["A1", "C", "A2"]})
    )
    assert created == 1
    rows = store.all_nodes("Customer")[["customer_id", "name", "city"]]
    assert rows.fillna("").values.tolist() == [["a", "A2", "X"], ["b", "B", "Y"], ["c", "C", ""]]


def test_relationships_are_identified_by_their_ends_and_identity_properties(store) -> None:
    store.upsert_nodes("Customer", pa.table({"customer_id": ["a", "b"]}))
    related = pa.table(
        {
            "from": ["a", "a", "a"],
            "to": ["b", "b", "b"],
            "kind": ["knows", "household", "knows"],
            "weight": [1.0, 2.0, 3.0],
        }
    )
    assert store.upsert_relationships("RELATED", related) == 2
    again = pa.table({"from": ["a"], "to": ["b"], "kind": ["knows"], "weight": [5.0]})
    assert store.upsert_relationships("RELATED", again) == 0
    rows = store.all_relationships("RELATED")
    assert sorted(zip(rows["kind"], rows["weight"], strict=True)) == [
        ("household", 2.0),
        ("knows", 5.0),
    ]


def test_merging_nodes_repoints_every_relationship_and_drops_self_loops(store) -> None:
    store.upsert_nodes("Customer", pa.table({"customer_id": ["keep", "gone", "other"]}))
    store.upsert_nodes("Account", pa.table({"account_id": ["acc"]}))
    store.upsert_relationships(
        "HOLDS", pa.table({"from": ["gone"], "to": ["acc"], "role": ["owner"]})
    )
    store.upsert_relationships(
        "RELATED",
        pa.table(
            {"from": ["other", "gone"], "to": ["gone", "keep"], "kind": ["referred", "knows"]}
        ),
    )
    store.merge_nodes("Customer", {"gone": "keep"})
    assert list(store.all_nodes("Customer")["customer_id"]) == ["keep", "other"]
    holds = store.all_relationships("HOLDS")
    assert holds[["from", "to", "role"]].values.tolist() == [["keep", "acc", "owner"]]
    related = store.all_relationships("RELATED")
    assert related[["from", "to", "kind"]].values.tolist() == [["other", "keep", "referred"]]


def test_the_schema_is_the_model(store) -> None:
    counts = store.counts()
    assert set(counts["nodes"]) == set(model.NODES)
    assert set(counts["relationships"]) == set(model.RELATIONSHIPS)
    store.apply_schema()  # a second time changes nothing and fails on nothing
    for label, node in model.NODES.items():
        assert list(store.all_nodes(label).columns) == list(node.columns)


def test_updates_of_existing_rows_go_in_slices_with_the_same_result(store, monkeypatch) -> None:
    from graph360.store import embedded

    monkeypatch.setattr(embedded, "LOAD_FROM_ROWS", 2)  # every slice boundary is exercised
    keys = [f"c{i}" for i in range(7)]
    store.upsert_nodes("Customer", pa.table({"customer_id": keys, "name": keys}))
    assert store.upsert_nodes("Customer", pa.table({"customer_id": keys, "name": ["x"] * 7})) == 0
    assert set(store.all_nodes("Customer")["name"]) == {"x"}
    pairs = pa.table({"from": keys[:-1], "to": keys[1:], "kind": ["knows"] * 6})
    assert store.upsert_relationships("RELATED", pairs) == 6
    again = pairs.append_column("weight", pa.array([2.0] * 6))
    assert store.upsert_relationships("RELATED", again) == 0
    assert list(store.all_relationships("RELATED")["weight"]) == [2.0] * 6


def test_the_error_that_aborted_a_write_is_the_one_reported(tmp_path) -> None:
    """Even when the database has already ended the transaction, as LadybugDB does when its
    buffer pool is full, the caller sees the real error, not "no active transaction"."""
    import pytest

    from graph360.store import open_store

    with open_store(str(tmp_path / "g.lbug")) as store:
        with pytest.raises(ValueError, match="the real error"), store.atomic():
            store.upsert_nodes("Customer", pa.table({"customer_id": ["a"]}))
            store._run("ROLLBACK", {})  # the database gave up on the transaction by itself
            raise ValueError("the real error")
        assert store.counts()["nodes"]["Customer"] == 0
        store.upsert_nodes("Customer", pa.table({"customer_id": ["b"]}))  # still usable
        assert list(store.all_nodes("Customer")["customer_id"]) == ["b"]


_KILLED_WRITER = """
import os, sys
import ladybug
db = ladybug.Database(sys.argv[1])
conn = ladybug.Connection(db)
conn.execute("CALL auto_checkpoint=false")
conn.execute("CREATE NODE TABLE T(id INT64, PRIMARY KEY(id))")
conn.execute("UNWIND range(1, 1000) AS i CREATE (:T {id: i})")
os._exit(0)  # killed: the WAL is left, never checkpointed
"""


def test_a_read_after_a_writer_died_mid_checkpoint_finishes_the_checkpoint(tmp_path) -> None:
    """A writer killed during a checkpoint leaves the WAL renamed and two lock files (seen
    when a 400 MB checkpoint was killed 0.3, 1 and 2 s in), and LadybugDB then refuses every
    read-only open ("checkpoint recovery is pending"). Here that state is made directly; a
    read-only open completes the checkpoint and reads everything the writer committed."""
    import subprocess
    import sys

    from graph360.store import open_store

    path = tmp_path / "g.lbug"
    subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(path)], check=True)
    wal = tmp_path / "g.lbug.wal"
    wal.rename(tmp_path / "g.lbug.wal.checkpoint")
    for lock in ("apply", "intent"):
        (tmp_path / f"g.lbug.checkpoint.{lock}.lock").touch()
    reader = open_store(str(path), read_only=True)
    try:
        assert reader._run("MATCH (t:T) RETURN count(*) AS n", {}, write=False) == [{"n": 1000}]
    finally:
        reader.close()
    assert not (tmp_path / "g.lbug.wal.checkpoint").exists()


def test_a_thread_given_a_time_limit_has_its_long_queries_stopped(tmp_path) -> None:
    """The API's read threads get ``for_short_queries(seconds)``: the engine interrupts a
    query that runs past it, and the caller gets QueryTimeoutError (public: HTTP 503)."""
    import pytest

    from graph360.errors import QueryTimeoutError
    from graph360.store import open_store

    graph = open_store(str(tmp_path / "g.lbug"))
    try:
        keys = [f"c{i}" for i in range(3000)]
        graph.upsert_nodes("Customer", pa.table({"customer_id": keys}))
        cross = "MATCH (a:Customer), (b:Customer) WHERE a.customer_id < b.customer_id"
        cross += " RETURN count(*) AS n"
        assert graph._run(cross, {}, write=False) == [{"n": 3000 * 2999 // 2}]
        graph.for_short_queries(0.001)
        with pytest.raises(QueryTimeoutError, match=r"took longer than 0\.001 s"):
            graph._run(cross, {}, write=False)
        assert QueryTimeoutError.public and QueryTimeoutError.http_status == 503
    finally:
        graph.close()


def test_the_log_is_checkpointed_past_the_threshold_the_store_was_opened_with(tmp_path) -> None:
    """``checkpoint_bytes`` reaches the engine: under a large threshold a commit leaves its
    log, past a small one it folds it in; ``checkpoint`` folds it in when asked, if the log
    holds at least ``min_bytes``."""
    from graph360.store import open_store

    def logged(name: str) -> int:
        wal = tmp_path / f"{name}.lbug.wal"
        return wal.stat().st_size if wal.exists() else 0

    large = open_store(str(tmp_path / "large.lbug"), checkpoint_bytes=1 << 30)
    large.checkpoint()  # the schema's log
    large.upsert_nodes("Customer", pa.table({"customer_id": ["a"]}))
    assert logged("large") > 0
    assert not large.checkpoint(min_bytes=1 << 30)
    assert logged("large") > 0
    assert large.checkpoint(min_bytes=1)
    assert logged("large") == 0
    assert not large.checkpoint()  # nothing left to fold in
    large.close()
    small = open_store(str(tmp_path / "small.lbug"), checkpoint_bytes=1)
    small.upsert_nodes("Customer", pa.table({"customer_id": ["a"]}))
    assert logged("small") == 0
    assert list(small.all_nodes("Customer")["customer_id"]) == ["a"]
    small.close()
