"""A whole export is read as its new and changed lines: the lines the last load took are
dropped before any rule runs (graph360.ingest.taken), and what that must never change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import snapshot

from graph360.errors import BundleError
from graph360.ingest import load, taken
from graph360.ingest.load import load_bundle
from graph360.store import open_store

CUSTOMERS = (
    "source,customer_id,name,email\ncrm,1,Ada Lovelace,ada@example.org\ncrm,2,Alan Turing,\n"
)
TOUCHPOINTS = [
    "T1,2024-05-01T10:00:00Z,web,visit,crm,1",
    "T2,2024-05-02T10:00:00Z,email,open,crm,1",
    "T3,2024-05-03T10:00:00Z,web,visit,crm,2",
]


def _bundle(folder: Path, *, customers: str = CUSTOMERS, touchpoints: list[str]) -> Path:
    folder.mkdir()
    (folder / "customers.csv").write_text(customers)
    (folder / "touchpoints.csv").write_text(
        "touchpoint_id,at,channel,kind,source,customer_id\n" + "\n".join(touchpoints) + "\n"
    )
    return folder


@pytest.fixture
def rows_read(monkeypatch) -> list[dict[str, int]]:
    """Per load, how many rows of each file reached the rules."""
    seen: list[dict[str, int]] = []
    prepare = load.prepare_batch

    def spy(store, raw, **options):
        seen.append({name: len(file.frame) for name, file in raw.items()})
        return prepare(store, raw, **options)

    monkeypatch.setattr(load, "prepare_batch", spy)
    return seen


def _channel(store, touchpoint: str) -> str:
    frame = store.all_nodes("Touchpoint")
    return frame.loc[frame["touchpoint_id"] == touchpoint, "channel"].item()


def test_only_new_and_changed_lines_reach_the_rules(store, tmp_path: Path, rows_read) -> None:
    load_bundle(store, _bundle(tmp_path / "a", touchpoints=TOUCHPOINTS))
    changed = [TOUCHPOINTS[0].replace("visit", "purchase"), *TOUCHPOINTS[1:]]
    night = _bundle(
        tmp_path / "b", touchpoints=[*changed, "T4,2024-05-04T10:00:00Z,web,visit,crm,2"]
    )
    report = load_bundle(store, night)
    assert rows_read[-1] == {"customers": 0, "touchpoints": 2}
    counts = report.files["touchpoints"]
    assert (counts.rows_read, counts.loaded, counts.new, counts.changed, counts.unchanged) == (
        4,
        4,
        1,
        1,
        2,
    )
    assert report.files["customers"].unchanged == 2
    assert store.counts()["nodes"]["Touchpoint"] == 4


def test_an_unchanged_line_keeps_a_change_made_since_and_recheck_puts_it_back(
    store, tmp_path: Path
) -> None:
    load_bundle(store, _bundle(tmp_path / "a", touchpoints=TOUCHPOINTS))
    live = "MATCH (t:Touchpoint {touchpoint_id: 'T1'}) SET t.channel = 'phone', t.row_hash = 0"
    store._run(live, {}, write=True)  # as a live event writes: its content and its hash
    night = _bundle(
        tmp_path / "b", touchpoints=[*TOUCHPOINTS, "T4,2024-05-04T10:00:00Z,web,visit,crm,2"]
    )
    load_bundle(store, night)
    assert _channel(store, "T1") == "phone"  # the export's line is the one already taken
    again = load_bundle(store, night, recheck=True)
    assert again.files["touchpoints"].changed == 1
    assert _channel(store, "T1") == "web"


def test_a_rejected_line_is_read_again_and_loads_once_it_can(store, tmp_path: Path) -> None:
    orphan = "T9,2024-05-09T10:00:00Z,web,visit,crm,7"
    first = load_bundle(store, _bundle(tmp_path / "a", touchpoints=[*TOUCHPOINTS, orphan]))
    assert first.files["touchpoints"].rejected == 1
    arrived = CUSTOMERS + "crm,7,Grace Hopper,grace@example.org\n"
    night = _bundle(tmp_path / "b", customers=arrived, touchpoints=[*TOUCHPOINTS, orphan])
    report = load_bundle(store, night)
    assert report.files["touchpoints"].rejected == 0
    assert report.files["touchpoints"].new == 1
    assert report.files["customers"].new == 1


def test_a_repeated_key_is_rejected_as_a_full_read_would(store, tmp_path: Path) -> None:
    load_bundle(store, _bundle(tmp_path / "a", touchpoints=TOUCHPOINTS))
    twice = [*TOUCHPOINTS, TOUCHPOINTS[0].replace("visit", "purchase")]
    night = _bundle(tmp_path / "b", touchpoints=twice)
    report = load_bundle(store, night, rejects_path=tmp_path / "r.csv")
    with open_store(str(tmp_path / "clean.lbug")) as fresh:  # the rules on the whole file
        reference = load_bundle(fresh, night, rejects_path=tmp_path / "r2.csv")
    assert report.files["touchpoints"].rejected == reference.files["touchpoints"].rejected > 0
    assert (tmp_path / "r.csv").read_text() == (tmp_path / "r2.csv").read_text()


def test_other_settings_or_a_lost_file_read_every_line(store, tmp_path: Path, rows_read) -> None:
    bundle = _bundle(tmp_path / "a", touchpoints=TOUCHPOINTS)
    load_bundle(store, bundle)
    night = _bundle(
        tmp_path / "b", touchpoints=[*TOUCHPOINTS, "T4,2024-05-04T10:00:00Z,web,visit,crm,2"]
    )
    load_bundle(store, night, max_shared=3)  # another setting: the lines taken do not count
    assert rows_read[-1]["touchpoints"] == 4
    files = list(taken.folder(store).glob("*.npz"))
    assert len(files) == 1  # the last load's alone
    files[0].unlink()
    store.write("forget_last_load")  # else the same bundle again is known by its digest
    report = load_bundle(store, night, max_shared=3)
    assert rows_read[-1]["touchpoints"] == 4
    assert report.files["touchpoints"].unchanged == 4


def test_a_load_that_never_commits_leaves_the_lines_of_the_one_before(
    store, tmp_path: Path
) -> None:
    load_bundle(store, _bundle(tmp_path / "a", touchpoints=TOUCHPOINTS))
    fingerprint = taken.fingerprint(
        max_shared=load.identity.DEFAULT_MAX_SHARED, default_region=load.identity.DEFAULT_REGION
    )
    before = taken.taken(store, fingerprint)
    assert len(before["touchpoints"]) == 3
    with pytest.raises(RuntimeError), store.atomic():
        taken.remember(store, store, fingerprint, {"touchpoints": np.array([1, 2], np.int64)})
        raise RuntimeError("killed before the commit")
    after = taken.taken(store, fingerprint)
    assert after.keys() == before.keys()
    assert all(np.array_equal(after[name], before[name]) for name in before)


def test_memory_is_asked_for_what_is_written(store, tmp_path: Path, monkeypatch) -> None:
    """With memory enough to read the bundle but not for a transaction into the graph, the
    same bundle compared whole (it writes nothing) goes through, and the night's one new line
    is refused before anything is written."""
    if not store.transaction_memory():
        pytest.skip("a server holds its transactions in its own memory")
    load_bundle(store, _bundle(tmp_path / "a", touchpoints=TOUCHPOINTS))
    night = _bundle(
        tmp_path / "b", touchpoints=[*TOUCHPOINTS, "T4,2024-05-04T10:00:00Z,web,visit,crm,2"]
    )
    reading = sum(p.stat().st_size for p in night.iterdir()) * load.MEMORY_PER_CSV_BYTE
    enough = min(reading * 2, store.transaction_memory() / 2)
    assert enough > reading
    monkeypatch.setattr(load, "_available_memory", lambda: int(enough))
    store.write("forget_last_load")
    report = load_bundle(store, _bundle(tmp_path / "c", touchpoints=TOUCHPOINTS), recheck=True)
    assert report.files["touchpoints"].unchanged == 3
    before = snapshot(store)
    refused = r"writing 2 new and changed nodes and relationships needs about"
    with pytest.raises(BundleError, match=refused):
        load_bundle(store, night)
    assert snapshot(store) == before
    monkeypatch.setattr(load, "_available_memory", lambda: int(store.transaction_memory() * 2))
    assert load_bundle(store, night).files["touchpoints"].new == 1


def test_forget_taken_lines(store, tmp_path: Path, rows_read) -> None:
    """An erasure forgets them (tests/test_erasure.py): the next load reads every line."""
    load_bundle(store, _bundle(tmp_path / "a", touchpoints=TOUCHPOINTS))
    assert len(store.query("meta_version", meta=taken.META)) == 1
    store.write("forget_taken_lines", meta=taken.META)
    assert store.query("meta_version", meta=taken.META) == []
    night = _bundle(
        tmp_path / "b", touchpoints=[*TOUCHPOINTS, "T4,2024-05-04T10:00:00Z,web,visit,crm,2"]
    )
    report = load_bundle(store, night)
    assert rows_read[-1] == {"customers": 2, "touchpoints": 4}
    assert report.files["touchpoints"].unchanged == 3
