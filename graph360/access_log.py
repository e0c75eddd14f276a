"""Who looked at whose personal data: the access log of the API (GDPR art. 30 and 32).

The API writes one line each time a key

- asks for a card (or searches) **by e-mail or phone** (``card_by_contact``),
- **exports** a person (``export_person``),
- **erases** a person (``erase``), or lifts a suppression (``lift_suppression``),

with the key's **name** and the time, never the key itself and never the e-mail or phone
that was asked for (the lookup is named by its kind only: ``email`` or ``phone``), nor whom it
found. Admins read it over GraphQL (``accessLog``) or in the file.

It is a JSON-lines file, ``$GRAPH360_ACCESS_LOG`` or ``graph360-access.jsonl`` beside the key
file, not a graph write: a card lookup must not queue behind the store's one writer (the
card's p99 is 50 ms), and appending a line costs microseconds. Lines are appended under a lock
and flushed, so concurrent requests never interleave.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections import deque
from pathlib import Path
from typing import Any

from graph360.periods import utc_now

__all__ = ["ACTIONS", "log_path", "read", "record"]

ACTIONS = ("card_by_contact", "export_person", "erase", "lift_suppression")
_lock = threading.Lock()


def log_path() -> Path:
    """Where the log is: ``$GRAPH360_ACCESS_LOG``, else beside the key file."""
    given = os.environ.get("GRAPH360_ACCESS_LOG")
    if given:
        return Path(given)
    from graph360.api.auth import keys_path

    return keys_path().with_name("graph360-access.jsonl")


def record(
    key_name: str, action: str, *, lookup: str | None = None, at: dt.datetime | None = None
) -> None:
    """Append one entry: the key's name, what it did, the kind of lookup (``email`` /
    ``phone``, for a card by contact), when."""
    if action not in ACTIONS:
        raise ValueError(f"unknown access-log action {action!r}")
    entry = {"at": (at or utc_now()).isoformat(), "key": key_name, "action": action}
    if lookup is not None:
        entry["lookup"] = lookup
    path = log_path()
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def read(*, last: int = 100) -> list[dict[str, Any]]:
    """The ``last`` entries, newest first (none when nothing was logged yet)."""
    path = log_path()
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        tail = deque(handle, maxlen=max(last, 0))
    entries = [json.loads(line) for line in tail if line.strip()]
    for entry in entries:
        entry["at"] = dt.datetime.fromisoformat(entry["at"])
    return entries[::-1]
