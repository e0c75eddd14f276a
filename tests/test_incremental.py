"""Incremental loads: a re-load writes nothing, a nightly delta gives the graph of a clean load,
a bundle of new rows only adds them, and a killed first load leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from helpers import TINY, snapshot

from graph360.errors import BundleError
from graph360.ingest.load import load_bundle
from graph360.store import embedded, open_store

#: A delta load that stops at the start of one phase, long enough to be killed there.
PAUSED_LOAD = """
import sys, time
from pathlib import Path
from graph360.errors import BundleError
from graph360.ingest.load import load_bundle
from graph360.store import open_store

store = open_store(sys.argv[1])
def step(name):
    print(name, flush=True)
    if name == sys.argv[4]:
        time.sleep(60)
rejects = Path(sys.argv[3]) / "r.csv"
load_bundle(store, Path(sys.argv[2]), rejects_path=rejects, max_shared=2, progress=step)
"""

STAMPS = {"SourceRecord": ("loaded_at",), "IDENTIFIED_BY": ("at",)}


def _comparable(shot: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """A snapshot without the load-time stamps (two loads at other times differ there)."""
    for name, columns in STAMPS.items():
        for row in shot[name]:
            for column in columns:
                row.pop(column, None)
    return shot


def _delta(tmp_path: Path) -> Path:
    """The tiny bundle, the next night: customers with a new segment and a new e-mail, a new
    customer, a touchpoint moved to another step and another customer, a new touchpoint."""
    folder = tmp_path / "delta"
    shutil.copytree(TINY, folder)
    customers = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
    customers.loc[customers["customer_id"] == "2", "segment"] = "vip"
    alan = customers["customer_id"] == "3"
    customers.loc[alan, ["email", "segment"]] = ["alan.turing@example.org", "premium"]
    new = customers.iloc[[0]].assign(
        source="crm", customer_id="500", name="Mary Jackson", email="mary@example.org", phone=""
    )
    pd.concat([customers, new]).to_csv(folder / "customers.csv", index=False)
    touchpoints = pd.read_csv(folder / "touchpoints.csv", dtype=str, keep_default_na=False)
    first = touchpoints["touchpoint_id"] == "T1"
    touchpoints.loc[first, ["step_id", "customer_id"]] = ["buy-2", "2"]
    added = touchpoints[first].assign(touchpoint_id="T100", customer_id="500")
    pd.concat([touchpoints, added]).to_csv(folder / "touchpoints.csv", index=False)
    return folder


def test_a_reload_of_the_same_bundle_writes_nothing(store, tmp_path: Path) -> None:
    load_bundle(store, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
    before = snapshot(store)
    again = load_bundle(store, TINY, rejects_path=tmp_path / "r2.csv", max_shared=2)
    assert snapshot(store) == before
    for name, counts in again.files.items():
        assert counts.new == counts.changed == 0, name
        assert counts.unchanged == counts.loaded, name
    assert again.files["touchpoints"].unchanged == 6
    assert sum(again.nodes_created.values()) == sum(again.relationships_created.values()) == 0


def test_a_nightly_delta_gives_the_graph_of_a_clean_load(store, tmp_path: Path) -> None:
    delta = _delta(tmp_path)
    load_bundle(store, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
    report = load_bundle(store, delta, rejects_path=tmp_path / "r2.csv", max_shared=2)
    # T100, and the line of the wrong field count, which pandas wrote back whole
    assert report.files["touchpoints"].new == 2
    assert report.files["touchpoints"].changed == 1
    assert report.files["touchpoints"].unchanged == 5
    assert report.files["customers"].new == 1
    assert report.files["customers"].changed >= 1
    with open_store(str(tmp_path / "clean.lbug")) as clean:
        load_bundle(clean, delta, rejects_path=tmp_path / "r3.csv", max_shared=2)
        reference = _comparable(snapshot(clean))
    assert _comparable(snapshot(store)) == reference
    moved = [r for r in reference["AT_STEP"] if r["from"] == "T1"]
    assert [r["to"] for r in moved] == ["buy-2"]  # one step, the new one


def test_a_changed_touchpoint_keeps_the_relationships_it_still_implies(
    store, tmp_path: Path
) -> None:
    """T1 changes its kind only: its campaign, step and department stay, so none of those
    relationships is deleted or written again (at a hub such as a department of a million
    touchpoints a delete costs milliseconds), and the graph is a clean load's."""
    folder = tmp_path / "kind"
    shutil.copytree(TINY, folder)
    path = folder / "touchpoints.csv"  # edited as text: the file's other lines stay as they are
    path.write_text(
        path.read_text().replace(
            "T1,2024-03-02T09:15:00Z,email,open,", "T1,2024-03-02T09:15:00Z,email,click,"
        )
    )
    load_bundle(store, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
    report = load_bundle(store, folder, rejects_path=tmp_path / "r2.csv", max_shared=2)
    assert report.files["touchpoints"].changed == 1
    for rel_type in ("FROM_CAMPAIGN", "AT_STEP", "HANDLED_BY"):
        assert report.relationships_created.get(rel_type, 0) == 0, rel_type
    with open_store(str(tmp_path / "clean.lbug")) as clean:
        load_bundle(clean, folder, rejects_path=tmp_path / "r3.csv", max_shared=2)
        assert _comparable(snapshot(store)) == _comparable(snapshot(clean))


def test_a_changed_record_keeps_the_time_it_was_first_identified(store, tmp_path: Path) -> None:
    """A record whose row changed (a new segment, a new e-mail) is identified again with its
    rule and via, and keeps the time of its first identification (IDENTIFIED_BY.at)."""
    load_bundle(store, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
    first = {r["to"]: r["at"] for r in store.all_relationships("IDENTIFIED_BY").to_dict("records")}
    report = load_bundle(store, _delta(tmp_path), rejects_path=tmp_path / "r2.csv", max_shared=2)
    assert report.files["customers"].changed >= 2
    after = {r["to"]: r["at"] for r in store.all_relationships("IDENTIFIED_BY").to_dict("records")}
    assert {key: after[key] for key in first} == first
    assert pd.notna(after["crm:500"])  # the new record: identified now


@pytest.mark.parametrize("one_by_one", [5_000, 0], ids=["statement per key", "one join"])
def test_relationships_at(store, tmp_path: Path, monkeypatch, one_by_one: int) -> None:
    monkeypatch.setattr(embedded, "KEYS_ONE_BY_ONE", one_by_one)
    load_bundle(store, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
    steps = store.relationships_at("AT_STEP", "source", pa.array(["T1", "T2", "T404"]))
    assert sorted(steps.to_pylist(), key=str) == [
        {"from": "T1", "to": "buy-1"},
        {"from": "T2", "to": "buy-2"},
    ]
    had = store.relationships_at("HAD", "target", pa.array(["T1"]))
    assert had.column_names == ["from", "to"] and had.column("to").to_pylist() == ["T1"]
    assert store.relationships_at("HAD", "target", pa.array([], pa.string())).num_rows == 0
    store.delete_relationships_of("AT_STEP", "source", pa.array(["T1", "T404"]))
    steps = store.relationships_at("AT_STEP", "source", pa.array(["T1", "T2"]))
    assert steps.to_pylist() == [{"from": "T2", "to": "buy-2"}]


def test_a_bundle_of_new_rows_only_adds_them(store, tmp_path: Path) -> None:
    load_bundle(store, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
    before = store.counts()
    only_new = tmp_path / "new-rows"
    only_new.mkdir()
    (only_new / "customers.csv").write_text(
        "source,customer_id,name,email\ncrm,600,Dorothy Vaughan,dorothy@example.org\n"
    )
    (only_new / "touchpoints.csv").write_text(
        "touchpoint_id,at,channel,kind,source,customer_id\n"
        "T200,2024-05-01T10:00:00Z,web,page_view,crm,600\n"
        "T201,2024-05-01T10:05:00Z,web,page_view,crm,1\n"
    )
    report = load_bundle(store, only_new, rejects_path=tmp_path / "r2.csv", max_shared=2)
    assert report.rejected == 0
    after = store.counts()
    assert after["nodes"]["Customer"] == before["nodes"]["Customer"] + 1
    assert after["nodes"]["Touchpoint"] == before["nodes"]["Touchpoint"] + 2
    assert after["relationships"]["HAD"] == before["relationships"]["HAD"] + 2
    again = load_bundle(store, only_new, rejects_path=tmp_path / "r3.csv", max_shared=2)
    assert store.counts() == after  # rows sent again are idempotent
    assert again.files["touchpoints"].unchanged == 2


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["validate", "write nodes", "write relationships"])
def test_a_delta_killed_in_any_phase_leaves_the_graph_as_it_was(tmp_path: Path, phase: str) -> None:
    """SIGKILL while a nightly delta loads: the graph is the one before it; loading the delta
    again then gives the graph of a clean load of the delta."""
    delta = _delta(tmp_path)
    database = tmp_path / "killed.lbug"
    with open_store(str(database)) as graph:
        load_bundle(graph, TINY, rejects_path=tmp_path / "r1.csv", max_shared=2)
        before = snapshot(graph)
    child = subprocess.Popen(
        [sys.executable, "-c", PAUSED_LOAD, str(database), str(delta), str(tmp_path), phase],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == phase:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with open_store(str(database)) as graph:
        assert snapshot(graph) == before
        load_bundle(graph, delta, rejects_path=tmp_path / "r2.csv", max_shared=2)
        after = _comparable(snapshot(graph))
    with open_store(str(tmp_path / "clean.lbug")) as clean:
        load_bundle(clean, delta, rejects_path=tmp_path / "r3.csv", max_shared=2)
        assert after == _comparable(snapshot(clean))


def test_a_machine_with_too_little_memory_is_told_before_anything_is_written(
    store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph360.ingest import load

    monkeypatch.setattr(load, "_available_memory", lambda: 1_000)
    with pytest.raises(BundleError, match=r"needs about .* GiB of memory"):
        load_bundle(store, TINY, rejects_path=tmp_path / "r.csv")
    assert store.is_empty()


def _clean_bundle(tmp_path: Path) -> Path:
    """A bundle every row of which loads (the tiny one has a bad line on purpose)."""
    folder = tmp_path / "clean-bundle"
    folder.mkdir()
    (folder / "customers.csv").write_text(
        "source,customer_id,name,email\n"
        "crm,1,Ada Lovelace,ada@example.org\n"
        "shop,9,Ada L.,ada@example.org\n"
        "crm,2,Grace Hopper,grace@example.org\n"
    )
    (folder / "touchpoints.csv").write_text(
        "touchpoint_id,at,channel,kind,source,customer_id\n"
        "T1,2024-05-01T10:00:00Z,web,page_view,crm,1\n"
        "T2,2024-05-01T10:05:00Z,email,open,crm,2\n"
    )
    return folder


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.csv"))


def test_last_load(store, tmp_path: Path) -> None:
    """A load that kept every row leaves its digest and its counts; loading the same bundle
    into that graph is then answered from them, and ``recheck`` compares rows all the same."""
    import json

    from graph360.ingest.changes import bundle_digest

    bundle = _clean_bundle(tmp_path)
    load_bundle(store, bundle, max_shared=2)
    [mark] = store.query("last_load")
    assert mark["digest"] == bundle_digest(_files(bundle), max_shared=2, default_region="GB")
    assert json.loads(mark["report"]) == {
        "files": {
            "customers": {"rows_read": 3, "loaded": 3},
            "touchpoints": {"rows_read": 2, "loaded": 2},
            "Customer": {"rows_read": 0, "loaded": 2},
        },
        "records_linked": 1,
        "identifiers_blocked": {},
        "identity_conflicts": {},
    }
    before = snapshot(store)
    again = load_bundle(store, bundle, max_shared=2)
    assert again.unchanged_bundle
    assert snapshot(store) == before
    assert {n: (f.rows_read, f.loaded, f.unchanged, f.new) for n, f in again.files.items()} == {
        "customers": (3, 3, 3, 0),
        "touchpoints": (2, 2, 2, 0),
        "Customer": (0, 2, 2, 0),
    }
    assert again.records_linked == 1
    rechecked = load_bundle(store, bundle, max_shared=2, recheck=True)
    assert not rechecked.unchanged_bundle
    assert {n: f.unchanged for n, f in rechecked.files.items()} == {
        n: f.unchanged for n, f in again.files.items()
    }
    assert snapshot(store) == before
    other_settings = load_bundle(store, bundle, max_shared=3)
    assert not other_settings.unchanged_bundle


def test_forget_last_load(store, tmp_path: Path) -> None:
    """Any other write removes the mark, so the same bundle is then compared row by row: a
    live touchpoint, a load that rejected a row (which could load later), the query itself."""
    from graph360.ingest.realtime import record_touchpoint

    bundle = _clean_bundle(tmp_path)
    load_bundle(store, bundle, max_shared=2)
    store.write("forget_last_load")
    assert store.query("last_load") == []
    assert not load_bundle(store, bundle, max_shared=2).unchanged_bundle
    assert len(store.query("last_load")) == 1
    touchpoint = {"touchpoint_id": "T3", "at": "2024-05-02T09:00:00Z", "channel": "web"}
    record_touchpoint(store, {**touchpoint, "kind": "visit", "source": "crm", "customer_id": "1"})
    assert store.query("last_load") == []
    assert not load_bundle(store, bundle, max_shared=2).unchanged_bundle
    load_bundle(store, TINY, rejects_path=tmp_path / "r.csv", max_shared=2)
    assert store.query("last_load") == []


def test_rows_written_before_hashes_are_rewritten_once(store, tmp_path: Path) -> None:
    """A touchpoint stored without a row hash (an older graph) compares as changed: its
    relationships are replaced, not doubled, when the bulk path writes them without looking."""
    bundle = tmp_path / "many"
    bundle.mkdir()
    (bundle / "customers.csv").write_text("source,customer_id,name\ncrm,1,Ada\ncrm,2,Alan\n")
    lines = [f"T{i},2024-05-01T10:00:00Z,web,visit,crm,{1 + i % 2}" for i in range(600)]
    (bundle / "touchpoints.csv").write_text(
        "touchpoint_id,at,channel,kind,source,customer_id\n" + "\n".join(lines) + "\n"
    )
    load_bundle(store, bundle)
    before = snapshot(store)
    store.write("forget_last_load")  # an older graph: no mark, no lines taken, no hashes
    store._run("MATCH (m:Meta {name: 'taken-lines'}) DELETE m", {}, write=True)
    store._run("MATCH (t:Touchpoint) SET t.row_hash = NULL", {}, write=True)
    again = load_bundle(store, bundle)
    assert again.files["touchpoints"].changed == 600
    assert again.relationships_created["HAD"] == 600  # replaced: cheaper than read
    assert snapshot(store) == before


#: A delta load that says when its relationships' bulk writes start, and when it is done.
TIMED_LOAD = """
import sys
from pathlib import Path
from graph360.ingest.load import load_bundle
from graph360.store import open_store

store = open_store(sys.argv[1])
load_bundle(store, Path(sys.argv[2]), rejects_path=Path(sys.argv[3]) / "r.csv",
            progress=lambda name: print(name, flush=True))
print("done", flush=True)
"""


@pytest.mark.slow
def test_a_delta_killed_inside_its_bulk_writes_leaves_the_graph_as_it_was(tmp_path: Path) -> None:
    """SIGKILL while the relationships' COPY statements run (not between phases): a demo loaded,
    then another demo's exports as the delta, so nearly every relationship is rewritten and the
    phase lasts long enough to be killed inside it."""
    import time

    from graph360.demo import generate_demo

    database = tmp_path / "killed.lbug"
    first = generate_demo(tmp_path / "first", customers=3000, seed=1)
    delta = generate_demo(tmp_path / "delta", customers=3000, seed=2)
    with open_store(str(database)) as graph:
        load_bundle(graph, first, rejects_path=tmp_path / "r1.csv")
        before = snapshot(graph)
    child = subprocess.Popen(
        [sys.executable, "-c", TIMED_LOAD, str(database), str(delta), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "write relationships":
            break
    time.sleep(0.3)  # inside the phase's statements
    os.kill(child.pid, signal.SIGKILL)
    rest = child.stdout.read()
    child.wait()
    assert "done" not in rest, "the delta finished before the kill: make it bigger"
    assert child.returncode == -signal.SIGKILL
    with open_store(str(database)) as graph:
        assert snapshot(graph) == before
