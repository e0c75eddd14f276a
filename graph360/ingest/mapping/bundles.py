"""Bundles: a folder of source exports (and a ``bundle.toml``) mapped into canonical files.

Bundle manifests
----------------
A bundle folder may hold ``bundle.toml`` listing the source exports it contains::

    [[sources]]
    file = "crm/contacts.csv"        # relative to the bundle folder
    mapping = "crm_contacts"         # a shipped mapping name, or a path to a .toml file
    # source = "crm_eu"              # optional: override the mapping's source name
    # target = "customers.csv"       # optional, canonical mapping only: the canonical file

Canonical files (``customers.csv`` … or ``.parquet``) placed directly in the folder are taken
as they are. :func:`materialize` turns such a folder into a plain canonical bundle.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from graph360.errors import MappingError
from graph360.ingest.bundle import ERROR, ORIGIN, find_file
from graph360.ingest.mapping.applying import _concat, apply_mapping, map_export
from graph360.ingest.mapping.format import (
    Mapping,
    _read_toml,
    _timezone,
    canonical_files,
    load_mapping,
)
from graph360.ingest.mapping.keys import CREATABLE, MANIFEST, MANIFEST_KEYS, SOURCE_KEYS


@dataclass(frozen=True)
class _Source:
    file: Path
    relative: str
    mapping: Mapping
    target: str | None
    #: Canonical column → the value every row of this source gets there (``[sources.set]``).
    values: dict[str, str] = field(default_factory=dict)
    #: Reference files to make from the ids this source's rows refer to (``create``).
    create: tuple[str, ...] = ()
    #: The journey created steps belong to (``journey``; default: the source name).
    journey: str = ""


#: The node label behind each file ``create`` may write, and behind journeys.csv.
_LABELS = {
    "departments": "Department",
    "campaigns": "Campaign",
    "products": "Product",
    "journey_steps": "JourneyStep",
    "journeys": "Journey",
}

#: Which of some ids of a label the graph already holds (the loader passes its store's).
Existing = Callable[[str, list[str]], set[str]]


@dataclass
class MappedBundle:
    """A bundle folder in memory: canonical rows per file, and the notes for the report."""

    frames: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)


def _read_manifest(bundle_dir: Path, allow_outside: bool = False) -> list[_Source]:
    path = bundle_dir / MANIFEST
    inside = bundle_dir.resolve()

    def within(label: str, key: str, given: str) -> Path:
        """``given`` (relative to the bundle) as a path, refused if it leads outside it."""
        place = bundle_dir / given
        if not allow_outside and not place.resolve().is_relative_to(inside):
            raise MappingError(
                f"{label}: {key} {given!r} is outside the bundle folder: keep it inside, or "
                "give --allow-outside to read it"
            )
        return place

    data = _read_toml(path)
    unknown = sorted(set(data) - set(MANIFEST_KEYS))
    if unknown:
        raise MappingError(
            f"{path}: unknown top-level keys {unknown} (known: {', '.join(MANIFEST_KEYS)})"
        )
    if not isinstance(data.get("sources", []), list):
        raise MappingError(f"{path}: sources must be [[sources]] tables")
    sources = []
    for index, entry in enumerate(data.get("sources", [])):
        label = f"{path}: sources[{index}]"
        if not isinstance(entry, dict) or not {"file", "mapping"} <= set(entry):
            raise MappingError(f"{label}: each source needs 'file' and 'mapping'")
        extra = sorted(set(entry) - set(SOURCE_KEYS))
        if extra:
            raise MappingError(f"{label}: unknown keys {extra} (known: {', '.join(SOURCE_KEYS)})")
        file = within(label, "file", str(entry["file"]))
        if not file.is_file():
            raise MappingError(f"{label}: export {entry['file']} does not exist in {bundle_dir}")
        spec = str(entry["mapping"])
        is_path = spec.endswith(".toml") or "/" in spec
        mapping = load_mapping(within(label, "mapping", spec) if is_path else spec)
        if "source" in entry:
            mapping = mapping.with_source(str(entry["source"]))
        if "timezone" in entry:  # this export's clock, whatever the mapping says
            zone = _timezone(entry["timezone"], partial(_manifest_error, label))
            mapping = dataclasses.replace(mapping, timezone=zone)
        if "target" in entry and not mapping.passthrough:
            raise MappingError(f"{label}: 'target' applies to the canonical mapping only")
        values = _manifest_set(entry.get("set", {}), mapping, label)
        create = entry.get("create", [])
        if not isinstance(create, list) or not set(create) <= set(CREATABLE):
            raise MappingError(
                f"{label}: create is a list of {list(CREATABLE)} (what to make from the ids "
                f"this export refers to), not {create!r}"
            )
        journey = entry.get("journey", mapping.source)
        if "journey_steps" in create and (not isinstance(journey, str) or not journey):
            raise MappingError(f"{label}: journey is the id of the journey created steps join")
        sources.append(
            _Source(
                file,
                str(entry["file"]),
                mapping,
                entry.get("target"),
                values,
                tuple(create),
                journey,
            )
        )
    return sources


def _manifest_set(raw: Any, mapping: Mapping, label: str) -> dict[str, str]:
    """``[sources.set]``: canonical column = value, for columns this source's files have."""
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise MappingError(f"{label}: set is a table of canonical column = text value")
    schema = canonical_files()
    columns = {c for f in mapping.files for c in schema[f][1]}
    unknown = sorted(set(raw) - columns)
    if unknown:
        raise MappingError(
            f"{label}: set names {unknown}, which no file of mapping {mapping.name} has "
            f"({', '.join(mapping.files)})"
        )
    return dict(raw)


def _manifest_error(label: str, message: str) -> MappingError:
    return MappingError(f"{label}: {message}")


def _canonical_in(folder: Path, allow_outside: bool = False) -> list[Path]:
    """The canonical files in ``folder``, checked as a bundle's own files are (find_file)."""
    names = [name[: -len(".csv")] for name in canonical_files()]
    found = (find_file(folder, name, allow_outside=allow_outside) for name in names)
    return sorted(path for path in found if path is not None)


def bundle_frames(bundle_dir: str | Path, allow_outside: bool = False) -> dict[str, pd.DataFrame]:
    """Every canonical file of a bundle folder, in memory: name → rows (strings, ``_origin``).

    The frames of :func:`map_bundle` (which also says what it skipped and created).
    """
    return map_bundle(bundle_dir, allow_outside).frames


def map_bundle(
    bundle_dir: str | Path, allow_outside: bool = False, existing: Existing | None = None
) -> MappedBundle:
    """Every canonical file of a bundle folder, in memory, and the notes for the load report.

    The in-memory half of :func:`materialize`, for a loader that would rather not write the
    canonical files out: canonical files sitting directly in the folder come first, then
    (when ``bundle.toml`` exists) every listed source export through its mapping, in manifest
    order. Rows several sources contribute to one canonical file are concatenated, columns
    united (missing ones empty) and ordered canonical columns first, then extras, then
    ``_error`` (only when some row has one) and ``_origin``.

    A source's ``set`` values replace those columns in every row it writes; its ``create``
    makes the departments, campaigns, products or journey steps its rows refer to that
    neither the bundle nor (through ``existing``) the graph holds, each with a note.
    """
    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise MappingError(f"bundle folder {bundle_dir} does not exist")
    has_manifest = (bundle_dir / MANIFEST).is_file()
    sources = _read_manifest(bundle_dir, allow_outside) if has_manifest else []
    listed = {src.file.resolve() for src in sources}
    canonical = load_mapping("canonical")
    root = None if allow_outside else bundle_dir
    parts: dict[str, list[pd.DataFrame]] = {}
    notes: list[str] = []
    for path in _canonical_in(bundle_dir, allow_outside):
        if path.resolve() in listed:
            continue
        for name, rows in apply_mapping(canonical, path, origin=path.name).items():
            parts.setdefault(name, []).append(rows)
    made: list[tuple[_Source, dict[str, pd.DataFrame]]] = []
    for src in sources:
        mapped = map_export(src.mapping, src.file, src.relative, src.target, root)
        notes.extend(mapped.notes)
        for name, rows in mapped.frames.items():
            for column, value in src.values.items():
                if column in canonical_files()[name][1]:
                    rows[column] = value
            parts.setdefault(name, []).append(rows)
        made.append((src, mapped.frames))
    for src, frames in made:
        if src.create:
            _create_references(src, frames, parts, existing, notes)
    schema = canonical_files()
    result = {}
    for name in [n for n in schema if n in parts]:
        rows = _concat(parts[name])
        order = [c for c in schema[name][1] if c in rows.columns]
        order += [c for c in rows.columns if c not in order and c not in (ERROR, ORIGIN)]
        order += [c for c in (ERROR, ORIGIN) if c in rows.columns]
        result[name] = rows[order]
    return MappedBundle(result, notes)


def _create_references(
    src: _Source,
    frames: dict[str, pd.DataFrame],
    parts: dict[str, list[pd.DataFrame]],
    existing: Existing | None,
    notes: list[str],
) -> None:
    """Rows for the ids ``src`` refers to that nothing defines yet (see :func:`map_bundle`)."""
    for kind in src.create:
        column = CREATABLE[kind]
        referred = [
            pd.unique(rows[column].str.strip()) for rows in frames.values() if column in rows
        ]
        wanted = [v for v in dict.fromkeys(v for part in referred for v in part) if v]
        file = f"{kind}.csv"
        defined = set()
        for rows in parts.get(file, []):
            defined |= set(rows[column].str.strip())
        missing = [v for v in wanted if v not in defined]
        if missing and existing is not None:
            held = existing(_LABELS[kind], missing)
            missing = [v for v in missing if v not in held]
        if not missing:
            continue
        origin = f"{src.relative}:created"
        if kind == "journey_steps":
            journey = src.journey
            have = existing(_LABELS["journeys"], [journey]) if existing is not None else set()
            known = {v for rows in parts.get("journeys.csv", []) for v in rows["journey_id"]}
            if journey not in have and journey not in known:
                created = {"journey_id": [journey], "name": [journey], ORIGIN: [origin]}
                parts.setdefault("journeys.csv", []).append(pd.DataFrame(created))
                notes.append(f"{src.relative}: created journey {journey}")
            rows = pd.DataFrame(
                {
                    "step_id": missing,
                    "journey_id": [journey] * len(missing),
                    "name": missing,
                    "position": [str(i) for i in range(1, len(missing) + 1)],
                }
            )
        else:
            rows = pd.DataFrame({column: missing})
        rows[ORIGIN] = origin
        parts.setdefault(file, []).append(rows)
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        shown = ", ".join(missing[:5]) + more
        notes.append(f"{src.relative}: created {len(missing)} {kind.replace('_', ' ')}: {shown}")


#: The file in a materialized bundle that holds the notes for the load report (JSON list).
NOTES_FILE = "graph360-notes.json"


def read_notes(folder: str | Path) -> list[str]:
    """The notes :func:`materialize` left in ``folder`` (none for a folder it did not write)."""
    path = Path(folder) / NOTES_FILE
    return list(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else []


def materialize(
    bundle_dir: str | Path,
    out_dir: str | Path,
    format: str = "csv",
    allow_outside: bool = False,
    existing: Existing | None = None,
) -> Path:
    """Turn a bundle folder with ``bundle.toml`` into a plain canonical bundle in ``out_dir``.

    Writes what :func:`bundle_frames` returns, one file per canonical name, as CSV (or
    ``format="parquet"``, much faster to write and read at millions of rows). Canonical files
    left in ``out_dir`` by an earlier run are replaced or removed. A folder without
    ``bundle.toml`` is already canonical and is returned unchanged.
    """
    bundle_dir, out_dir = Path(bundle_dir), Path(out_dir)
    if format not in ("csv", "parquet"):
        raise ValueError(f"format must be 'csv' or 'parquet', not {format!r}")
    if not (bundle_dir / MANIFEST).is_file():
        return bundle_dir
    if out_dir.resolve() == bundle_dir.resolve():
        raise MappingError(f"materialize would overwrite the bundle itself: {out_dir}")
    mapped = map_bundle(bundle_dir, allow_outside, existing)
    frames = mapped.frames
    out_dir.mkdir(parents=True, exist_ok=True)
    notes = out_dir / NOTES_FILE
    if mapped.notes:
        notes.write_text(json.dumps(mapped.notes), encoding="utf-8")
    elif notes.exists():
        notes.unlink()
    names = canonical_files()
    for stale in out_dir.iterdir():
        if stale.suffix.lower() in (".csv", ".parquet") and stale.stem + ".csv" in names:
            stale.unlink()
    for name, rows in frames.items():
        if format == "parquet":
            rows.to_parquet(out_dir / (name[: -len(".csv")] + ".parquet"), index=False)
        else:
            rows.to_csv(out_dir / name, index=False, lineterminator="\n")
    return out_dir
