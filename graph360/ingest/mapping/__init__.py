"""Declarative source mappings: a source system's own export file → canonical bundle rows.

Every system a department runs exports its data in its own shape. A *mapping* is a small TOML
file (in the top-level ``loaders/``, or anywhere on disk) that says how one such export becomes rows
of the canonical bundle files (DESIGN.md §5). Mappings are data, not code, so an analyst can
copy one and adapt it to their own export without touching Python.

The package: ``keys`` (the format's vocabulary), ``format`` (parsing a mapping), ``reading``
(an export into a frame), ``applying`` (a mapping onto a frame, with ``dates``) and
``bundles`` (folders of exports).

Public API
----------
``load_mapping(name_or_path) -> Mapping``, ``shipped_mappings() -> list[Mapping]``,
``apply_mapping(mapping, export_path, origin=None, target=None) -> {file: DataFrame}``,
``bundle_frames(bundle_dir) -> {file: DataFrame}`` (a whole folder, in memory),
``materialize(bundle_dir, out_dir, format="csv") -> Path`` and ``canonical_files()``. Every
frame holds strings only ("" for empty), canonical columns first, extras, then ``_error``
(when present) and ``_origin``.
"""

from graph360.ingest.mapping.applying import MappedExport, apply_mapping, map_export
from graph360.ingest.mapping.bundles import (
    MappedBundle,
    bundle_frames,
    map_bundle,
    materialize,
    read_notes,
)
from graph360.ingest.mapping.format import (
    Condition,
    FieldSpec,
    Mapping,
    Output,
    canonical_files,
    load_mapping,
    shipped_mappings,
)
from graph360.ingest.mapping.reading import read_export

__all__ = [
    "Condition",
    "FieldSpec",
    "MappedBundle",
    "MappedExport",
    "Mapping",
    "Output",
    "apply_mapping",
    "bundle_frames",
    "canonical_files",
    "load_mapping",
    "map_bundle",
    "map_export",
    "materialize",
    "read_export",
    "read_notes",
    "shipped_mappings",
]
