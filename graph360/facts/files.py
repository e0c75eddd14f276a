"""The projection's files: where they live, written as Arrow IPC and swapped in whole, read back."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather

from graph360.facts.tables import NODE_TABLES, PAIR_TABLES, REMARKS, VOICES, Facts
from graph360.store.base import GraphStore

#: Bump when the files' layout changes: a projection of another format is rebuilt.
FORMAT = 5
_MANIFEST = "manifest.json"


def facts_dir(store: GraphStore) -> Path:
    """Where ``store``'s projection lives (see the module docstring)."""
    configured = os.environ.get("GRAPH360_FACTS_DIR")
    digest = hashlib.sha256(store.location.encode()).hexdigest()[:16]
    if configured:
        return Path(configured) / digest
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        return path.with_name(path.name + ".facts")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "graph360" / "facts" / digest


def save(facts: Facts, folder: Path) -> None:
    """Write the projection as uncompressed Arrow IPC files (memory-mapped when read), into a
    new folder swapped in whole."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f"{folder.name}.new-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name, table in facts.tables.items():
        feather.write_feather(table, staging / f"{name}.arrow", compression="uncompressed")
    manifest = {
        "format": FORMAT,
        "version": facts.version,
        "written_at": facts.written_at.isoformat() if facts.written_at else None,
        "built_at": facts.built_at.isoformat(),
        "location": facts.location,
        "rows": {name: table.num_rows for name, table in facts.tables.items()},
        "counts": facts.counts,
    }
    (staging / _MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    old = folder.with_name(f"{folder.name}.old-{os.getpid()}-{threading.get_ident()}")
    if folder.exists():
        os.replace(folder, old)
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)


def load(folder: Path) -> Facts | None:
    """The projection stored in ``folder``; None when there is none or it is of another format."""
    try:
        manifest = json.loads((folder / _MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT:
        return None
    tables = {}
    for name in [*NODE_TABLES, *PAIR_TABLES, REMARKS, VOICES]:
        try:
            tables[name] = feather.read_table(folder / f"{name}.arrow", memory_map=True)
        except (OSError, pa.ArrowInvalid):
            return None
    written = manifest["written_at"]
    return Facts(
        version=int(manifest["version"]),
        written_at=dt.datetime.fromisoformat(written) if written else None,
        built_at=dt.datetime.fromisoformat(manifest["built_at"]),
        location=manifest["location"],
        tables=tables,
        counts={k: int(v) for k, v in manifest.get("counts", {}).items()},
    )
