"""The lines the last load took: a whole nightly export costs what changed in it.

Companies send their whole export every night, though 1% of it changed. Reading, checking,
resolving and comparing all of it costs what the export weighs (95 s of a 206 s delta at
1M customers / 10M touchpoints). So a load remembers, beside the graph, a 64-bit hash of every
line of the customer files it took (read as text, before any rule; rejected and suppressed
lines are not taken), and the next load drops the lines it finds there before anything else:
what is left is exactly the bundle of new and changed rows a source could have sent instead,
and it loads the same way (``tests/test_incremental.py``).

What that means, said plainly:
- An unchanged line carries nothing new. A live change made since the last load (an event,
  a merge by hand) stays; a full compare (``--recheck``) would put the export's values back.
- The reference files (departments, steps, campaigns, …) are small and read whole: a step's
  successor is worked out from its journey's other steps.
- Rows whose key repeats in the file are never dropped, so the rule against repeated keys
  still sees every one of them.
- The hashes are trusted only while the graph says so: the load writes a ``Meta`` node with a
  random token in its own transaction, and the file of hashes carries the same token and the
  loader's fingerprint (its code and settings, as the bundle digest). A load killed before its
  commit leaves a file no graph names; a new loader or other settings compare every line.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from graph360 import arrays, model
from graph360.ingest.bundle import LINE, ROW_FACTS, RawFile, Reject
from graph360.ingest.changes import bundle_digest
from graph360.periods import utc_now
from graph360.store.base import GraphStore

#: The files whose lines are remembered: one row each, of a customer; the rest is read whole.
REMEMBERED = (
    "customers",
    "holdings",
    "relationships",
    "campaign_members",
    "consents",
    "touchpoints",
)
#: The Meta node whose version is the token of the file of hashes the graph stands for.
META = "taken-lines"
_FINGERPRINT = "fingerprint"
#: How a line is hashed, part of the fingerprint: DuckDB's ``hash`` is stable within a version.
LINE_HASH = f"duckdb {duckdb.__version__} hash"


@dataclass
class Lines:
    """One file's rows as read: a hash of each row's text and its physical line."""

    hashes: np.ndarray
    lines: np.ndarray


def lines_of(file: RawFile) -> Lines:
    """Hash each row of ``file`` over its columns by name (so their order does not count)."""
    frame = file.frame
    columns = sorted(c for c in frame.columns if c not in ROW_FACTS)
    named = hashlib.blake2b(repr(columns).encode(), digest_size=8).digest()
    hashes = _text_hashes(frame, columns) ^ np.frombuffer(named, dtype=np.int64)[0]
    return Lines(hashes, frame[LINE].to_numpy(dtype=np.int64))


def _text_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One 64-bit hash per row over ``columns`` (text as read, a blank distinct from an empty
    string), by DuckDB on every core: 10M touchpoint lines in ~2 s, where hashing each
    distinct value in numpy took ~15 s (most of a line's text is unique)."""
    table = pa.Table.from_pandas(frame[columns], preserve_index=False)
    table = table.rename_columns([f"c{i}" for i in range(len(columns))])
    arguments = ", ".join(f"c{i}" for i in range(len(columns)))
    with duckdb.connect() as db:
        db.execute("SET preserve_insertion_order = true")
        hashed = db.from_arrow(table).select(f"hash({arguments}) AS h").fetchnumpy()["h"]
    return np.asarray(hashed, dtype=np.uint64).view(np.int64)


def fingerprint(**settings: object) -> str:
    """What the lines' hashes are valid for: the loader's code, its settings and the hash."""
    return bundle_digest([], lines=LINE_HASH, **settings)


def folder(store: GraphStore) -> Path:
    """Beside an embedded database (``graph.lbug.lines``); for a server, the user's cache."""
    from graph360.facts.files import facts_dir  # one rule for where derived files live

    place = facts_dir(store)
    return place.with_name(place.name.removesuffix(".facts") + ".lines")


def taken(store: GraphStore, fingerprint: str) -> dict[str, np.ndarray]:
    """file name -> the sorted hashes of the lines the last load took, if the graph still
    names them and the same loader with the same settings took them; else nothing."""
    rows = store.query("meta_version", meta=META)
    if not rows or rows[0]["version"] is None:
        return {}
    try:
        with np.load(_path(store, int(rows[0]["version"]))) as saved:
            if str(saved[_FINGERPRINT]) != fingerprint:
                return {}
            return {name: saved[name] for name in REMEMBERED if name in saved.files}
    except (OSError, ValueError, KeyError):
        return {}


def skip_taken(
    raw: dict[str, RawFile], lines: dict[str, Lines], known: dict[str, np.ndarray]
) -> dict[str, int]:
    """Drop from ``raw`` the rows whose hash the last load took, unless their key repeats in
    the file; file name -> how many were dropped."""
    dropped: dict[str, int] = {}
    for name, sorted_hashes in known.items():
        if name not in raw or not len(sorted_hashes):
            continue
        seen = arrays.isin(lines[name].hashes, sorted_hashes)
        seen &= ~_repeated_keys(raw[name])
        if seen.any():
            raw[name].frame = raw[name].frame[~seen].reset_index(drop=True)
            dropped[name] = int(seen.sum())
    return dropped


def _repeated_keys(file: RawFile) -> np.ndarray:
    """Whether each row's key (as read) appears on another row of the file too."""
    keys = _text_hashes(file.frame, list(file.spec.key))
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inverse] > 1


def kept_hashes(
    lines: dict[str, Lines], rejects: list[Reject], suppressed: dict[str, list[int]]
) -> dict[str, np.ndarray]:
    """file name -> sorted hashes of this load's lines that no rule set aside."""
    left_out: dict[str, set[int]] = {}
    for reject in rejects:
        left_out.setdefault(reject.file, set()).add(reject.line)
    for name, numbers in suppressed.items():
        left_out.setdefault(name, set()).update(numbers)
    kept = {}
    for name, file_lines in lines.items():
        out = np.fromiter(left_out.get(name, ()), dtype=np.int64)
        keep = ~arrays.isin(file_lines.lines, out) if len(out) else slice(None)
        kept[name] = arrays.unique(file_lines.hashes[keep])
    return kept


def remember(
    writer: GraphStore, home: GraphStore, fingerprint: str, kept: dict[str, np.ndarray]
) -> int:
    """Save ``kept`` under a new token beside ``home`` and name it in ``writer`` (the load's
    own transaction, or the database it builds), so the graph and its file agree once the
    load commits. Returns the token."""
    token = secrets.randbits(62)
    path = _path(home, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
    np.savez(staging, **{_FINGERPRINT: np.array(fingerprint)}, **kept)
    os.replace(staging, path)
    meta = {"name": [META], "version": [token], "written_at": [utc_now()]}
    writer.upsert_nodes("Meta", pa.table(meta, schema=model.node("Meta").arrow_schema()))
    return token


def forget_others(home: GraphStore, token: int) -> None:
    """Remove the files of earlier loads and of loads that never committed."""
    for path in folder(home).glob("*.npz"):
        if path != _path(home, token):
            path.unlink(missing_ok=True)


def _path(store: GraphStore, token: int) -> Path:
    return folder(store) / f"{token}.npz"
