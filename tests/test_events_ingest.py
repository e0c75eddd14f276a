"""``graph360 ingest``: NDJSON from a file, stdin, or a file followed as it grows.

The tiny bundle's people (tests/test_realtime.py): Ada (crm:1), Grace (crm:2, grace@example.org).
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from helpers import TINY
from typer.testing import CliRunner

from graph360.cli import EXIT_REJECTS, app
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.store import open_store

ADA, GRACE = customer_id_for("crm:1"), customer_id_for("crm:2")
runner = CliRunner()


def tp(tid: str, **fields: Any) -> str:
    base = {"touchpoint_id": tid, "at": "2024-04-01T10:00:00Z", "channel": "web", "kind": "view"}
    return json.dumps(base | fields)


def _graph(tmp_path: Path) -> str:
    db = str(tmp_path / "g.lbug")
    with open_store(db) as store:
        load_bundle(store, TINY, rejects_path=tmp_path / "rejects.csv", max_shared=2)
    return db


def _had(db: str) -> dict[str, str]:
    with open_store(db, read_only=True) as store:
        frame = store.all_relationships("HAD")
    return dict(zip(frame["to"], frame["from"], strict=True))


MIXED = "\n".join(
    [
        tp("I1", source="crm", customer_id="1"),
        "",  # blank lines are skipped, but keep their numbers
        "{not json",
        tp("I2", source="crm", customer_id="nobody"),
        tp("I3", email="GRACE@example.org"),
        tp("I1", source="crm", customer_id="2"),  # sent again: recorded once, first wins
        '["an array"]',
    ]
)


def test_a_file_is_ingested_with_each_bad_line_named(tmp_path: Path) -> None:
    db = _graph(tmp_path)
    events = tmp_path / "events.ndjson"
    events.write_text(MIXED)  # no newline after the last line: still a line
    result = runner.invoke(
        app, ["ingest", str(events), "--store", db, "--batch-size", "2", "--format", "json"]
    )
    assert result.exit_code == EXIT_REJECTS, result.output
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("lines", "recorded", "duplicate", "rejected")} == {
        "lines": 6,
        "recorded": 2,
        "duplicate": 1,
        "rejected": 3,
    }
    assert summary["stopped"] is False
    lines = result.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 3", "line 4 (I2)", "line 7"]
    assert lines[0].startswith("line 3: rejected: not JSON")
    assert lines[1] == "line 4 (I2): rejected: unknown customer 'crm:nobody'"
    assert lines[2] == "line 7: rejected: an event must be a JSON object, not list"
    had = _had(db)
    assert (had["I1"], had["I3"]) == (ADA, GRACE) and "I2" not in had


def test_stdin_is_ingested_and_sending_it_again_records_nothing_twice(tmp_path: Path) -> None:
    db = _graph(tmp_path)
    stream = tp("S1", source="crm", customer_id="1") + "\n" + tp("S2", email="grace@example.org")
    first = runner.invoke(app, ["ingest", "-", "--store", db, "-f", "json"], input=stream)
    again = runner.invoke(app, ["ingest", "-", "--store", db, "-f", "json"], input=stream)
    assert first.exit_code == again.exit_code == 0, first.output + again.output
    assert json.loads(first.stdout)["recorded"] == 2
    assert (json.loads(again.stdout)["recorded"], json.loads(again.stdout)["duplicate"]) == (0, 2)
    assert {k: v for k, v in _had(db).items() if k.startswith("S")} == {"S1": ADA, "S2": GRACE}


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "none.ndjson"), "--store", "x.lbug"])
    assert result.exit_code == 2
    assert "no such file" in result.stderr and "Traceback" not in result.output


def test_follow_reads_a_growing_and_truncated_file_until_ctrl_c(tmp_path: Path) -> None:
    """A real process follows the file: lines appended later land, a truncated file is read
    again from its start, and SIGINT ends it after its batch with the summary."""
    db = _graph(tmp_path)
    events = tmp_path / "events.ndjson"
    events.write_text(tp("F1", source="crm", customer_id="1") + "\n")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "graph360.cli", "ingest", str(events), "--follow"),
            *("--store", db, "--batch-seconds", "0.05", "--format", "json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    said: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [said.put(x) for x in process.stderr], daemon=True).start()
    try:
        with events.open("a") as handle:  # a line in two writes: read once it is whole
            handle.write(tp("F2", email="grace@example.org")[:20])
            handle.flush()
            handle.write(tp("F2", email="grace@example.org")[20:] + "\n" + "oops\n")
        assert said.get(timeout=60).startswith("line 3: rejected: not JSON")
        events.write_text(tp("F3", source="crm", customer_id="2") + "\n" + "[1]\n")  # truncated
        assert said.get(timeout=60).startswith("line 2: rejected: an event must be")
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == EXIT_REJECTS
    summary = json.loads(out)
    assert (summary["recorded"], summary["rejected"], summary["stopped"]) == (3, 2, True)
    had = _had(db)
    assert (had["F1"], had["F2"], had["F3"]) == (ADA, GRACE, GRACE)
