"""Declarative source mappings: a source system's own export file → canonical bundle rows.

Every system a department runs exports its data in its own shape. A *mapping* is a small TOML
file (in ``graph360/loaders/``, or anywhere on disk) that says how one such export becomes rows
of the canonical bundle files (DESIGN.md §5). Mappings are data, not code, so an analyst can
copy one and adapt it to their own export without touching Python.

The mapping format
------------------
::

    name = "email_activity"                  # how bundles and the CLI refer to it
    description = "Mailchimp-like campaign activity export"
    source = "esp"                           # written into the canonical `source` column
    delimiter = ","                          # optional (default ","); encoding = "utf-8-sig"
    optional_columns = ["Device"]            # optional: needed columns that may be absent

    [columns]                                # every column the export is expected to have
    "Email Address" = "subscriber e-mail, any letter case"
    "Event" = "sent | open | click | unsubscribe | bounce"
    ...

    [[outputs]]                              # one table per canonical file written
    file = "touchpoints.csv"
    where = { column = "Event", in = ["open", "click"] }     # optional row filter
    distinct_on = ["touchpoint_id"]          # optional: keep the first row per output key

    [outputs.fields]                         # canonical column = field spec
    email = "Email Address"                  # a plain string copies that export column
    channel = { const = "email" }            # a constant
    name = { template = "{First Name} {Last Name}" }          # columns joined with text
    phone = { coalesce = ["Mobile", "Phone"] }               # first non-empty column
    touchpoint_id = { id = "esp:{Campaign ID}:{Subscriber ID}:{Event Time}" }
    kind = { column = "Event", map = { open = "email_open" }, default = "other" }
    at = { column = "Event Time", date = "%Y-%m-%d %H:%M:%S" }
    value = { column = "Total", number = true, multiply_by = "Quantity" }

A field spec is a string (copy that column) or a table with exactly one *value source* —
``column``, ``const``, ``template``, ``coalesce`` or ``id`` — and optional transforms, applied in
this order:

- ``lower = true`` lower-cases; ``slug = true`` turns "Customer Care" into "customer_care".
- ``map = {raw = "canonical", ...}`` replaces values (``ignore_case = true`` to match any
  letter case). A value that is not in the map becomes ``default`` when one is given and is
  kept raw otherwise. An empty value stays empty unless the map has a ``"" = ...`` key.
- ``date = "strptime format"`` (or a list of formats, tried in turn) rewrites a date as ISO-8601:
  ``2026-03-01`` for a format without a time, ``2026-03-01T08:15:00`` with one, plus the offset
  when the format has ``%z``.
  A mapping's top-level ``timezone = "Europe/London"`` says the export's clock: times without
  an offset are then written with that zone's offset (the loader stores UTC).
- ``number = true`` strips currency signs and thousands separators ("£1,234.50" → "1234.50";
  ``decimal = ","`` for "1.234,50"); ``multiply_by = "Column"`` multiplies by another column.

A value a transform cannot handle (a date that does not match its format, a number that is not
a number) is written **raw**, never dropped and never blanked, so the loader rejects that row
with a reason and a line number. Templates (``template`` and ``id``) name columns in braces;
``{{`` and ``}}`` are literal braces; ``{_line}`` is the row's physical line, ``{_file}`` the
export's file name and ``{_source}`` the mapping's source (or the one bundle.toml gives this
export: a GA4 sign-in names the shop's record by it). A ``template`` result is trimmed and
runs of spaces collapse (so a missing middle name leaves no double space); an ``id`` is used
exactly as rendered, and with ``digest = 16`` becomes its literal prefix plus the first 16
hex digits of a SHA-1 of the rendered text (for ids that would otherwise be long). An id
built from columns is deterministic: the same export row always yields the same id, so a
re-load changes nothing.

``where`` is one condition table or a list of them (all must hold), each naming a ``column``
and one test: ``not_empty = true``, ``empty = true``, ``equals = "x"``, ``not_equals = "x"``,
``in = [...]``, ``not_in = [...]``, ``matches = "regex"`` or ``not_matches = "regex"`` (the
whole value), with optional
``ignore_case = true``. Filtering is declared, not silent: an output only ever sees the rows
its ``where`` asks for.

When the canonical file has a ``source`` column and the output does not set it, it is filled
with the mapping's ``source``. Columns a mapping writes that are not canonical are kept by the
loader as extra properties.

Only the columns a mapping actually reads are *needed*; an export that lacks a needed column
(that is not in ``optional_columns``) raises :class:`~graph360.errors.MappingError` naming the
mapping file, the export and the missing columns. A field that reads a column not declared in
``[columns]`` is a malformed mapping and raises when the mapping is loaded.

Provenance and broken lines
---------------------------
Every canonical row a mapping writes carries ``_origin`` = ``"<export file>:<line>"``, the
physical line (header = line 1) where its record starts in the export, so a rejected row points
back to the original export line even when an earlier quoted field spans several lines. A
record whose field count differs from the header's cannot be mapped reliably; it is still
written (padded or cut to the header, to the first output whose ``where`` it passes, else to
the first output, and only once) with a non-empty ``_error`` column saying why, and the loader
must reject every row whose ``_error`` is non-empty. ``_error`` is present only when some row
has one.

Consent
-------
A ``[[consent]]`` table turns a column into consent statements (``consents.csv``): its
``purpose`` (one of :data:`graph360.model.CONSENT_PURPOSES`), optional ``channel`` (the
purpose's own by default), ``status`` (a field spec whose result is ``granted``, ``refused`` or
``unknown``; an empty source value writes nothing), optional ``at`` (a field spec: when the
status was set; default the load's time) and optional ``customer_id`` / ``email`` (default:
this mapping's ``customers.csv`` fields) and ``where``::

    [[consent]]
    purpose = "email_marketing"
    status = { column = "Status", ignore_case = true, map = { subscribed = "granted",
               unsubscribed = "refused", cleaned = "refused", pending = "unknown" } }
    at = { column = "LAST_CHANGED", date = "%Y-%m-%d %H:%M:%S" }

docs/mapping-consent.md describes it with examples for Mailchimp, HubSpot and Salesforce.

The canonical mapping (``canonical.toml``, ``passthrough = true``) is the identity: an export
that is already a canonical file is copied column for column; its target file is its own name
(or the ``target`` given in the bundle manifest).

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

Public API
----------
``load_mapping(name_or_path) -> Mapping``, ``shipped_mappings() -> list[Mapping]``,
``apply_mapping(mapping, export_path, origin=None, target=None) -> {file: DataFrame}``,
``bundle_frames(bundle_dir) -> {file: DataFrame}`` (a whole folder, in memory),
``materialize(bundle_dir, out_dir, format="csv") -> Path`` and ``canonical_files()``. Every
frame holds strings only ("" for empty), canonical columns first, extras, then ``_error``
(when present) and ``_origin``.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import html
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from graph360 import shipped
from graph360.errors import MappingError
from graph360.ingest.bundle import ERROR, ORIGIN, check_not_reserved, find_file
from graph360.ingest.nested import JSON_SUFFIXES, read_nested

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

LOADERS_DIR = shipped.folder("loaders")
MANIFEST = "bundle.toml"

_VALUE_SOURCES = ("column", "const", "template", "coalesce", "id", "lookup")
#: The keys of a ``lookup`` field besides ``lookup`` itself (the column whose value is looked up).
LOOKUP_KEYS = ("file", "key", "value")
_TRANSFORMS = (
    "lower",
    "slug",
    "map",
    "default",
    "ignore_case",
    "date",
    "number",
    "decimal",
    "multiply_by",
    "digest",
    "epoch",
    "strip_html",
)
#: Every key a field table may hold.
FIELD_KEYS = (*_VALUE_SOURCES, *LOOKUP_KEYS, *_TRANSFORMS)
#: Every top-level key of a mapping file.
TOP_LEVEL_KEYS = (
    "name",
    "description",
    "source",
    "columns",
    "outputs",
    "optional_columns",
    "passthrough",
    "delimiter",
    "encoding",
    "timezone",
    "files",
    "footer",
    "fill_down",
    "skip_after_header",
    "explode",
    "split",
    "consent",
)
#: Every key of one ``[[outputs]]`` table.
OUTPUT_KEYS = ("file", "fields", "where", "distinct_on")
#: Every key of a ``fill_down`` table.
FILL_DOWN_KEYS = ("key", "columns")
#: Every key of a ``split`` table.
SPLIT_KEYS = ("column", "separator")
#: Units an ``epoch`` field reads: seconds, milliseconds, microseconds since 1970 (UTC).
EPOCH_UNITS = ("s", "ms", "us")
_TESTS = (
    "not_empty",
    "empty",
    "equals",
    "not_equals",
    "in",
    "not_in",
    "matches",
    "not_matches",
    "equals_column",
    "not_equals_column",
)
#: Every key of one ``where`` condition.
CONDITION_KEYS = ("column", "ignore_case", *_TESTS)
#: Every top-level key of bundle.toml, and of one ``[[sources]]`` entry.
MANIFEST_KEYS = ("sources", "name", "description")
SOURCE_KEYS = ("file", "mapping", "source", "target", "timezone", "set", "create", "journey")
#: What ``create`` may make from the ids an export refers to: the file → the id column.
CREATABLE = {
    "departments": "department_id",
    "campaigns": "campaign_id",
    "products": "product_id",
    "journey_steps": "step_id",
}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_PSEUDO = frozenset({"_line", "_file", "_source"})
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p", "%f", "%X", "%c", "%T", "%R")


# --------------------------------------------------------------------------- the format


@dataclass(frozen=True)
class FieldSpec:
    """How one canonical column is computed from an export row."""

    name: str
    source: str  # one of _VALUE_SOURCES
    arg: Any  # column name, constant, template text or list of columns
    lower: bool = False
    slug: bool = False
    map: dict[str, str] | None = None
    default: str | None = None
    ignore_case: bool = False
    date: tuple[str, ...] = ()
    number: bool = False
    decimal: str = "."
    multiply_by: str | None = None
    digest: int = 0
    epoch: str = ""  # "s", "ms" or "us": the value counts that unit since 1970-01-01 UTC
    strip_html: bool = False
    #: For ``lookup``: (file, key column, value column) of the other export it reads.
    lookup: tuple[str, str, str] | None = None

    @property
    def columns(self) -> frozenset[str]:
        """Export columns this field reads (pseudo-columns excluded)."""
        if self.source in ("column", "lookup"):
            used = {self.arg}
        elif self.source == "coalesce":
            used = set(self.arg)
        elif self.source in ("template", "id"):
            used = {name for name in _template_fields(self.arg) if name not in _PSEUDO}
        else:
            used = set()
        if self.multiply_by:
            used.add(self.multiply_by)
        return frozenset(used)


@dataclass(frozen=True)
class Condition:
    """One row test of an output's ``where``."""

    column: str
    test: str
    value: Any = None
    ignore_case: bool = False


@dataclass(frozen=True)
class Output:
    """The rows one mapping writes into one canonical file."""

    file: str
    fields: tuple[FieldSpec, ...]
    where: tuple[Condition, ...] = ()
    distinct_on: tuple[str, ...] = ()
    #: The canonical file has a `source` column the output does not set: the mapping's goes in.
    auto_source: bool = False

    @property
    def columns(self) -> frozenset[str]:
        used: set[str] = set()
        for spec in self.fields:
            used |= spec.columns
        used |= {cond.column for cond in self.where}
        used |= {cond.value for cond in self.where if cond.test.endswith("equals_column")}
        return frozenset(used)


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file; see the module docstring for the format."""

    name: str
    description: str
    source: str
    path: Path | None
    columns: dict[str, str] = field(default_factory=dict)
    outputs: tuple[Output, ...] = ()
    optional_columns: frozenset[str] = frozenset()
    passthrough: bool = False
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    timezone: str | None = None  # the wall clock of the export's times that carry no offset
    #: Lines at the end of the export that are a report's footer, not records (regexes).
    footer: tuple[re.Pattern[str], ...] = ()
    #: (key column, columns): rows sharing the key take those columns from the first row that
    #: has them (an order's fields, which Shopify writes on its first line item only).
    fill_down: tuple[str, tuple[str, ...]] | None = None
    #: Records right after the header that are a second header (SurveyMonkey's answer row).
    skip_after_header: int = 0
    #: A list column of a nested export whose items become rows (see graph360.ingest.nested).
    explode: str | None = None
    #: (column, separator): a text column holding several values, one row per value (HubSpot
    #: writes a deal's associated contact ids as "51;52").
    split: tuple[str, str] | None = None

    @property
    def files(self) -> list[str]:
        """Canonical files this mapping writes (all of them for the passthrough mapping)."""
        if self.passthrough:
            return list(canonical_files())
        return list(dict.fromkeys(out.file for out in self.outputs))

    @property
    def needed_columns(self) -> frozenset[str]:
        """Export columns the mapping reads and cannot do without."""
        used: set[str] = set()
        for out in self.outputs:
            used |= out.columns
        if self.fill_down:
            used.add(self.fill_down[0])
        if self.split:
            used.add(self.split[0])
        return frozenset(used - self.optional_columns)

    @property
    def read_columns(self) -> frozenset[str]:
        """Every export column the mapping reads, optional ones included."""
        used: set[str] = set()
        for out in self.outputs:
            used |= out.columns
        if self.fill_down:
            used.add(self.fill_down[0])
        if self.split:
            used.add(self.split[0])
        return frozenset(used)

    def with_source(self, source: str) -> Mapping:
        """The same mapping writing another source name (two CRMs, one export format)."""
        return dataclasses.replace(self, source=source)


def _template_fields(text: str) -> list[str]:
    return [m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1) is not None]


@cache
def canonical_files() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Canonical file name → (required columns, all columns in order), from canonical.toml.

    The schema is declared once, in the shipped canonical mapping, so the file that documents
    the canonical bundle is also the one that checks it.
    """
    data = _read_toml(LOADERS_DIR / "canonical.toml")
    files: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for name, spec in data.get("files", {}).items():
        required = tuple(spec.get("required", ()))
        files[name] = (required, required + tuple(spec.get("optional", ())))
    return files


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from None


def shipped_mappings() -> list[Mapping]:
    """Every mapping that ships in graph360/loaders, sorted by name (for `graph360 mappings`)."""
    return [load_mapping(path) for path in sorted(LOADERS_DIR.glob("*.toml"))]


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A shipped mapping by name (``"crm_contacts"``) or any mapping file by path."""
    text = str(name_or_path)
    is_path = isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text
    if is_path:
        path = Path(name_or_path)
    else:
        path = LOADERS_DIR / f"{text}.toml"
        if not path.is_file():
            names = ", ".join(sorted(p.stem for p in LOADERS_DIR.glob("*.toml")))
            raise MappingError(f"no shipped mapping named {text!r} (shipped: {names})")
    return _parse_mapping(_read_toml(path), path)


def _parse_mapping(data: dict[str, Any], path: Path) -> Mapping:
    where = str(path)

    def fail(message: str) -> MappingError:
        return MappingError(f"{where}: {message}")

    known = set(TOP_LEVEL_KEYS)
    unknown = sorted(set(data) - known)
    if unknown:
        raise fail(f"unknown top-level keys {unknown} (known: {', '.join(TOP_LEVEL_KEYS)})")
    for key in ("name", "description", "source"):
        if not isinstance(data.get(key), str):
            raise fail(f"'{key}' must be given as a string")
    columns = data.get("columns", {})
    if not isinstance(columns, dict):
        raise fail("[columns] must be a table of column name = description")
    columns = {str(k): str(v) for k, v in columns.items()}
    optional_raw = data.get("optional_columns", [])
    if not isinstance(optional_raw, list) or not all(isinstance(c, str) for c in optional_raw):
        raise fail("optional_columns must be a list of column names")
    optional = frozenset(optional_raw)
    if not optional <= set(columns):
        raise fail(f"optional_columns not declared in [columns]: {sorted(optional - set(columns))}")
    passthrough = bool(data.get("passthrough", False))
    delimiter = data.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise fail("delimiter must be one character")
    raw_outputs = data.get("outputs", [])
    if passthrough and raw_outputs:
        raise fail("a passthrough mapping has no [[outputs]]")
    if not passthrough and not raw_outputs:
        raise fail("no [[outputs]]: a mapping must write at least one canonical file")
    schema = canonical_files()
    outputs = tuple(
        _parse_output(raw, index, columns, schema, data["source"], fail)
        for index, raw in enumerate(raw_outputs)
    )
    consents = data.get("consent", [])
    if not isinstance(consents, list) or not all(isinstance(c, dict) for c in consents):
        raise fail("[[consent]] must be an array of tables (see docs/mapping-consent.md)")
    outputs += tuple(
        _parse_output(
            _consent_output(raw, index, raw_outputs, fail),
            len(raw_outputs) + index,
            columns,
            schema,
            data["source"],
            fail,
        )
        for index, raw in enumerate(consents)
    )
    encoding = data.get("encoding", "utf-8-sig")
    try:
        codecs.lookup(str(encoding))
    except LookupError:
        raise fail(f"encoding {encoding!r} is not a text encoding Python knows") from None
    footer = _parse_footer(data.get("footer", []), fail)
    fill_down = _parse_fill_down(data.get("fill_down"), columns, fail)
    skip = data.get("skip_after_header", 0)
    if not isinstance(skip, int) or isinstance(skip, bool) or not 0 <= skip <= 10:
        raise fail("skip_after_header is a number of records after the header, 0 to 10")
    return Mapping(
        name=data["name"],
        description=data["description"],
        source=data["source"],
        path=path,
        columns=columns,
        outputs=outputs,
        optional_columns=optional,
        passthrough=passthrough,
        delimiter=delimiter,
        encoding=str(encoding),
        timezone=_timezone(data.get("timezone"), fail),
        footer=footer,
        fill_down=fill_down,
        skip_after_header=skip,
        explode=_parse_explode(data.get("explode"), fail),
        split=_parse_split(data.get("split"), columns, fail),
    )


def _parse_explode(raw: Any, fail: Any) -> str | None:
    if raw is not None and (not isinstance(raw, str) or not raw):
        raise fail("explode names one list column of a JSON or Parquet export")
    return raw


def _parse_split(raw: Any, columns: dict[str, str], fail: Any) -> tuple[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or sorted(raw) != sorted(SPLIT_KEYS):
        raise fail("split must be a table with 'column' and 'separator'")
    column, separator = raw["column"], raw["separator"]
    if not isinstance(column, str) or not isinstance(separator, str) or not separator:
        raise fail("split: 'column' is one column name, 'separator' a non-empty string")
    if column not in columns:
        raise fail(f"split: reads a column not declared in [columns]: {column!r}")
    return column, separator


def _parse_footer(raw: Any, fail: Any) -> tuple[re.Pattern[str], ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise fail("footer must be a list of regular expressions")
    patterns = []
    for text in raw:
        try:
            patterns.append(re.compile(text, re.IGNORECASE))
        except re.error as exc:
            raise fail(f"footer: bad regex {text!r}: {exc}") from None
    return tuple(patterns)


def _parse_fill_down(
    raw: Any, columns: dict[str, str], fail: Any
) -> tuple[str, tuple[str, ...]] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or sorted(raw) != sorted(FILL_DOWN_KEYS):
        raise fail("fill_down must be a table with 'key' (a column) and 'columns' (a list)")
    key, filled = raw["key"], raw["columns"]
    if not isinstance(key, str) or not isinstance(filled, list) or not filled:
        raise fail("fill_down: 'key' is one column name, 'columns' a non-empty list of them")
    undeclared = sorted({key, *filled} - set(columns))
    if undeclared:
        raise fail(f"fill_down: reads columns not declared in [columns]: {undeclared}")
    return key, tuple(str(c) for c in filled)


def _timezone(name: object, fail: Any) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(f"timezone {name!r} is not an IANA time zone (e.g. Europe/London)") from None
    return str(name)


_CONSENT_KEYS = frozenset({"purpose", "channel", "status", "at", "customer_id", "email", "where"})


def _consent_output(
    raw: dict[str, Any], index: int, outputs: list[dict[str, Any]], fail: Any
) -> dict[str, Any]:
    """One ``[[consent]]`` table as the ``consents.csv`` output it stands for.

    The person is the mapping's own ``customers.csv`` output's ``customer_id`` (and
    ``email``) unless the table names them; a row whose status column is empty states
    nothing and writes no consent row. See docs/mapping-consent.md.
    """
    from graph360.model import CONSENT_PURPOSES

    label = f"consent[{index}]"
    unknown = sorted(set(raw) - _CONSENT_KEYS)
    if unknown:
        raise fail(f"{label}: unknown keys {unknown} (allowed: {sorted(_CONSENT_KEYS)})")
    purpose = raw.get("purpose")
    if purpose not in CONSENT_PURPOSES:
        raise fail(f"{label}: purpose {purpose!r} is not one of {sorted(CONSENT_PURPOSES)}")
    if "status" not in raw:
        raise fail(f"{label}: 'status' (a field spec giving granted | refused | unknown) is needed")
    channel = raw.get("channel", CONSENT_PURPOSES[purpose])
    if not isinstance(channel, str) or not channel:
        raise fail(f"{label}: channel must be a non-empty string")
    fields: dict[str, Any] = {}
    people = next((o.get("fields", {}) for o in outputs if o.get("file") == "customers.csv"), {})
    for column in ("customer_id", "email"):
        spec = raw.get(column, people.get(column))
        if spec is not None:
            fields[column] = spec
    if not fields:
        raise fail(f"{label}: name the person: customer_id or email (no customers.csv output)")
    fields |= {"purpose": {"const": purpose}, "channel": {"const": channel}}
    fields["status"] = raw["status"]
    if "at" in raw:
        fields["at"] = raw["at"]
    where_raw = raw.get("where", [])
    where = [where_raw] if isinstance(where_raw, dict) else list(where_raw)
    status = raw["status"]
    column = status.get("column") if isinstance(status, dict) else status
    if isinstance(column, str):
        where.append({"column": column, "not_empty": True})
    return {"file": "consents.csv", "fields": fields, "where": where}


def _parse_output(
    raw: dict[str, Any],
    index: int,
    columns: dict[str, str],
    schema: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    source: str,
    fail: Any,
) -> Output:
    label = f"outputs[{index}]"
    if not isinstance(raw, dict):
        raise fail(f"{label}: each [[outputs]] entry is a table")
    unknown = sorted(set(raw) - set(OUTPUT_KEYS))
    if unknown:
        raise fail(f"{label}: unknown keys {unknown}")
    file = raw.get("file")
    if file not in schema:
        raise fail(f"{label}: file {file!r} is not a canonical bundle file ({sorted(schema)})")
    label = f"{label} ({file})"
    raw_fields = raw.get("fields")
    if not isinstance(raw_fields, dict) or not raw_fields:
        raise fail(f"{label}: [outputs.fields] must map canonical columns to field specs")
    fields = [
        _checked_field(name, spec, f"{label}.fields.{name}", fail)
        for name, spec in raw_fields.items()
    ]
    names = {spec.name for spec in fields}
    required, all_columns = schema[file]
    auto_source = "source" in all_columns and "source" not in names and bool(source)
    if auto_source:
        names.add("source")
    missing = [col for col in required if col not in names]
    if missing:
        raise fail(f"{label}: required canonical columns not set: {missing}")
    where_raw = raw.get("where", [])
    if not isinstance(where_raw, dict | list):
        raise fail(f"{label}.where: a condition table or a list of them")
    where_list = [where_raw] if isinstance(where_raw, dict) else list(where_raw)
    where = tuple(_parse_condition(cond, f"{label}.where", fail) for cond in where_list)
    distinct_raw = raw.get("distinct_on", [])
    if not isinstance(distinct_raw, list):
        raise fail(f"{label}.distinct_on: a list of output columns")
    distinct_on = tuple(str(c) for c in distinct_raw)
    if not set(distinct_on) <= names:
        raise fail(f"{label}: distinct_on names columns the output does not write")
    out = Output(file, tuple(fields), where, distinct_on, auto_source)
    undeclared = sorted(out.columns - set(columns))
    if undeclared:
        raise fail(f"{label}: reads columns not declared in [columns]: {undeclared}")
    return out


def _checked_field(name: str, spec: Any, label: str, fail: Any) -> FieldSpec:
    """:func:`_parse_field`, with a value of the wrong type reported on one line, naming it."""
    try:
        return _parse_field(name, spec, label, fail)
    except (TypeError, ValueError, AttributeError) as exc:
        raise fail(f"{label}: {exc}") from None


def _parse_field(name: str, spec: Any, label: str, fail: Any) -> FieldSpec:
    if isinstance(spec, str):
        return FieldSpec(name, "column", spec)
    if not isinstance(spec, dict):
        raise fail(f"{label}: a field spec is a column name or a table")
    unknown = sorted(set(spec) - set(FIELD_KEYS))
    if unknown:
        raise fail(f"{label}: unknown keys {unknown} (known: {', '.join(FIELD_KEYS)})")
    given = [key for key in _VALUE_SOURCES if key in spec]
    if len(given) != 1:
        raise fail(f"{label}: give exactly one of {list(_VALUE_SOURCES)}, not {given}")
    source = given[0]
    arg = spec[source]
    if source == "coalesce":
        if not isinstance(arg, list) or not arg or not all(isinstance(c, str) for c in arg):
            raise fail(f"{label}: coalesce takes a non-empty list of column names")
        arg = tuple(arg)
    elif not isinstance(arg, str):
        raise fail(f"{label}: {source} takes a string")
    lookup = None
    if source == "lookup":
        missing = [key for key in LOOKUP_KEYS if not isinstance(spec.get(key), str)]
        if missing:
            raise fail(
                f"{label}: a lookup needs {missing} as strings (the other file, its key "
                "column, its value column)"
            )
        lookup = (spec["file"], spec["key"], spec["value"])
    elif any(key in spec for key in LOOKUP_KEYS):
        raise fail(f"{label}: {[k for k in LOOKUP_KEYS if k in spec]} belong to a lookup field")
    if source in ("template", "id"):
        stray = _PLACEHOLDER.sub("", arg)
        if "{" in stray or "}" in stray:
            raise fail(f"{label}: unbalanced brace in template {arg!r}")
    mapping = spec.get("map")
    if mapping is not None and not isinstance(mapping, dict):
        raise fail(f"{label}: map must be a table")
    dates = spec.get("date", ())
    dates = (dates,) if isinstance(dates, str) else tuple(dates)
    for fmt in dates:
        if not isinstance(fmt, str):
            raise fail(f"{label}: date takes a strptime format or a list of them")
        try:
            pd.to_datetime(pd.Series(["2000-01-01"]), format=fmt, errors="coerce")
        except ValueError as exc:
            raise fail(f"{label}: date format {fmt!r} is not a strptime format: {exc}") from None
    epoch = spec.get("epoch", "")
    if epoch and epoch not in EPOCH_UNITS:
        raise fail(f"{label}: epoch must be one of {list(EPOCH_UNITS)}, not {epoch!r}")
    if epoch and dates:
        raise fail(f"{label}: give epoch or date, not both")
    decimal = spec.get("decimal", ".")
    if decimal not in (".", ","):
        raise fail(f"{label}: decimal must be '.' or ','")
    digest = spec.get("digest", 0)
    if not isinstance(digest, int) or isinstance(digest, bool) or not 0 <= digest <= 40:
        raise fail(f"{label}: digest is a number of hex digits, 1 to 40")
    if digest and source != "id":
        raise fail(f"{label}: digest applies to id fields only")
    return FieldSpec(
        name=name,
        source=source,
        arg=arg,
        lower=bool(spec.get("lower", False)),
        slug=bool(spec.get("slug", False)),
        map={str(k): str(v) for k, v in mapping.items()} if mapping is not None else None,
        default=str(spec["default"]) if "default" in spec else None,
        ignore_case=bool(spec.get("ignore_case", False)),
        date=dates,
        number=bool(spec.get("number", False)) or "multiply_by" in spec,
        decimal=decimal,
        multiply_by=spec.get("multiply_by"),
        digest=digest,
        epoch=str(epoch),
        lookup=lookup,
        strip_html=bool(spec.get("strip_html", False)),
    )


def _parse_condition(raw: Any, label: str, fail: Any) -> Condition:
    if not isinstance(raw, dict) or "column" not in raw:
        raise fail(f"{label}: a where condition is a table with a 'column'")
    tests = [key for key in _TESTS if key in raw]
    unknown = sorted(set(raw) - set(CONDITION_KEYS))
    if len(tests) != 1 or unknown:
        raise fail(f"{label}: a where condition needs exactly one of {list(_TESTS)}")
    test = tests[0]
    value = raw[test]
    if test in ("in", "not_in"):
        if not isinstance(value, list):
            raise fail(f"{label}: {test} takes a list of values")
        value = tuple(str(v) for v in value)
    elif test in ("equals_column", "not_equals_column"):
        if not isinstance(value, str):
            raise fail(f"{label}: {test} names another column")
    elif test in ("matches", "not_matches"):
        try:
            value = re.compile(str(value))
        except re.error as exc:
            raise fail(f"{label}: bad regex {value!r}: {exc}") from None
    return Condition(str(raw["column"]), test, value, bool(raw.get("ignore_case", False)))


# --------------------------------------------------------------------------- reading


def read_export(
    path: Path, delimiter: str = ",", encoding: str = "utf-8-sig", explode: str | None = None
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """An export as (frame of strings, physical start line of each row, per-row error text).

    Every value is a string and empty stays "" (nothing becomes NaN). Physical lines count the
    header as line 1 and are right even when a quoted field spans lines. A record whose field
    count differs from the header's is kept (padded or cut) with its error text. The common
    case, a well-formed file, is parsed by pyarrow's CSV reader; anything unusual (a broken
    line, a multi-line field, a blank line) goes through the stdlib csv reader, which knows
    physical line numbers. Parquet files are read with pandas; their "line" is the row
    number + 1, as if written as CSV with a header.
    """
    if path.suffix.lower() == ".parquet" or path.suffix.lower() in JSON_SUFFIXES:
        frame, lines = read_nested(path, explode)
        check_not_reserved(path, list(frame.columns))
        return frame.reset_index(drop=True), lines, _blank(len(frame))
    header = _header(path, delimiter, encoding)
    check_not_reserved(path, header)
    frame = _fast_frame(path, header, delimiter, encoding)
    if frame is not None:
        lines = _simple_lines(path, len(frame))
        if lines is None:
            lines = _record_lines(path, delimiter, encoding, len(header), len(frame))
        if lines is not None:
            return frame, lines, _blank(len(frame))
    return _slow_read(path, delimiter, encoding)


def _blank(size: int) -> pd.Series:
    return pd.Series(pa.array([""] * size, type=pa.string()), dtype="str")


def _strings(values: Sequence[str]) -> pd.Series:
    return pd.Series(pa.array(values, type=pa.string()), dtype="str")


def _open(path: Path, encoding: str) -> Any:
    try:
        return path.open(newline="", encoding=encoding)
    except OSError as exc:
        raise MappingError(f"cannot read export {path}: {exc.strerror}") from None


def _header(path: Path, delimiter: str, encoding: str) -> list[str]:
    with _open(path, encoding) as handle:
        try:
            header = next(csv.reader(handle, delimiter=delimiter), None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise MappingError(f"export {path}: unreadable header: {exc}") from None
    if header is None:
        raise MappingError(f"export {path} is empty (no header line)")
    header = [name.strip() for name in header]
    dupes = sorted({n for n in header if header.count(n) > 1})
    if dupes:
        raise MappingError(f"export {path} repeats header columns {dupes}")
    return header


def _fast_frame(
    path: Path, header: list[str], delimiter: str, encoding: str
) -> pd.DataFrame | None:
    """pyarrow's parse of a well-formed export; None when anything is off (the slow path knows)."""
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8")
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=header, skip_rows=1, encoding="utf8" if utf8 else encoding
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, LookupError):
        return None
    return pd.DataFrame({name: pd.Series(table.column(name), dtype="str") for name in header})


def _simple_lines(path: Path, rows: int) -> np.ndarray | None:
    """Line numbers when every record sits on one line (the file has rows + 1 lines)."""
    newlines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    physical = newlines + (last != b"\n")
    if physical != rows + 1:
        return None
    return np.arange(2, rows + 2, dtype=np.int64)


def _record_lines(
    path: Path, delimiter: str, encoding: str, width: int, rows: int
) -> np.ndarray | None:
    """Start lines of the records via the csv reader; None if it sees another shape."""
    lines: list[int] = []
    with _open(path, encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            next(reader)
            previous = reader.line_num
            for record in reader:
                start, previous = previous + 1, reader.line_num
                if not record:
                    continue
                if len(record) != width:
                    return None
                lines.append(start)
        except (csv.Error, UnicodeDecodeError):
            return None
    return np.asarray(lines, dtype=np.int64) if len(lines) == rows else None


def _slow_read(
    path: Path, delimiter: str, encoding: str
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    with _open(path, encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [name.strip() for name in next(reader)]
            width = len(header)
            records: list[list[str]] = []
            lines: list[int] = []
            errors: dict[int, str] = {}
            previous = reader.line_num
            for record in reader:
                start, previous = previous + 1, reader.line_num
                if not record:
                    continue
                if len(record) != width:
                    errors[len(records)] = (
                        f"line {start} has {len(record)} fields, the header has {width}"
                    )
                    record = (record + [""] * width)[:width]
                records.append(record)
                lines.append(start)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise MappingError(
                f"export {path}: unreadable near line {reader.line_num}: {exc}"
            ) from None
    columns = list(zip(*records, strict=True)) if records else [()] * width
    frame = pd.DataFrame({name: _strings(col) for name, col in zip(header, columns, strict=True)})
    error_col = _strings([errors.get(i, "") for i in range(len(records))])
    return frame, np.asarray(lines, dtype=np.int64), error_col


# --------------------------------------------------------------------------- applying


@dataclass
class MappedExport:
    """One export through its mapping: the canonical rows, and what the user should be told."""

    frames: dict[str, pd.DataFrame]
    #: Lines read but not taken as records (a report's footer, blank lines), said in words.
    notes: list[str] = field(default_factory=list)
    #: The export's columns that no field reads (``mapping check`` shows them).
    unused_columns: list[str] = field(default_factory=list)
    #: Records read from the export (footer and blank lines excluded).
    records: int = 0


def apply_mapping(
    mapping: Mapping,
    export_path: str | Path,
    origin: str | None = None,
    target: str | None = None,
    root: Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Canonical file name → rows (all strings, ``_origin`` last) for one export file.

    ``origin`` is the name written before the line number in ``_origin`` (default: the export's
    file name; :func:`materialize` passes the path inside the bundle). ``target`` names the
    canonical file for the passthrough mapping (default: the export's own name). ``root``: the
    folder a ``lookup`` may read in (the bundle's), None for anywhere.
    """
    return map_export(mapping, export_path, origin, target, root).frames


def map_export(
    mapping: Mapping,
    export_path: str | Path,
    origin: str | None = None,
    target: str | None = None,
    root: Path | None = None,
) -> MappedExport:
    """:func:`apply_mapping` with the notes: footer and blank lines skipped, unused columns."""
    path = Path(export_path)
    origin = origin or path.name
    frame, lines, errors = read_export(path, mapping.delimiter, mapping.encoding, mapping.explode)
    if mapping.explode and path.suffix.lower() not in (".parquet", *JSON_SUFFIXES):
        raise MappingError(
            f"mapping {mapping.name} ({mapping.path}): explode applies to JSON or Parquet "
            f"exports, not {path.name}"
        )
    notes: list[str] = []
    if not mapping.passthrough:
        frame, lines, errors = _drop_non_records(mapping, frame, lines, errors, origin, notes)
    if mapping.split and mapping.split[0] in frame:
        frame, lines, errors = _split_rows(frame, lines, errors, *mapping.split)
    origins = _strings((f"{origin}:" + pd.Series(lines, dtype="int64").astype("str")).tolist())
    if mapping.passthrough:
        frames = _passthrough(mapping, path, frame, origins, errors, target)
        return MappedExport(frames, notes, [], len(frame))
    missing = sorted(mapping.needed_columns - set(frame.columns))
    if missing:
        raise MappingError(
            f"mapping {mapping.name} ({mapping.path}) does not fit export {path}: "
            f"missing columns {missing}"
        )
    unused = [c for c in frame.columns if c not in mapping.read_columns]
    for column in sorted(mapping.optional_columns - set(frame.columns)):
        frame[column] = _blank(len(frame))
    if mapping.fill_down:
        frame = _fill_down(frame, *mapping.fill_down)
    masks = [_where(out.where, frame) for out in mapping.outputs]
    broken = np.asarray(errors != "", dtype=bool)
    if broken.any():
        # A broken line goes to exactly one output: the first that wants it, else the first.
        claimed = np.zeros(len(frame), dtype=bool)
        for mask in masks:
            mine = broken & mask & ~claimed
            mask[broken & ~mine] = False
            claimed |= mine
        masks[0][broken & ~claimed] = True
    lookups = _Lookups(mapping, path, root)
    result: dict[str, list[pd.DataFrame]] = {}
    for out, mask in zip(mapping.outputs, masks, strict=True):
        take = np.flatnonzero(mask)
        sub = _Context(
            frame.iloc[take].reset_index(drop=True),
            lines[take],
            origin,
            mapping.timezone,
            lookups,
            mapping.source,
        )
        rows, kept = _output_rows(out, sub, broken[take])
        take = take[kept]
        if out.auto_source:
            rows.insert(0, "source", _strings([mapping.source] * len(rows)))
        if broken[take].any():
            rows[ERROR] = errors.iloc[take].reset_index(drop=True)
        rows[ORIGIN] = origins.iloc[take].reset_index(drop=True)
        result.setdefault(out.file, []).append(rows)
    frames = {file: _concat(parts) for file, parts in result.items()}
    return MappedExport(frames, notes, unused, len(frame))


def _drop_non_records(
    mapping: Mapping,
    frame: pd.DataFrame,
    lines: np.ndarray,
    errors: pd.Series,
    origin: str,
    notes: list[str],
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Leave out blank records (every field empty) and the report footer at the end.

    The footer is the run of records at the end of the export that are blank or hold one
    value only (a title, the company name, "Generated By: …"), taken as a footer when one of
    them matches the mapping's ``footer`` patterns; a run none of them matches is left as it
    is, to be rejected line by line (a footer nobody described is not guessed at).
    """
    if frame.empty:
        return frame, lines, errors
    filled = (frame != "").sum(axis=1).to_numpy()
    blank = filled == 0
    # a footer line holds one value and is not of the header's width (a record with one
    # value but every field is data, and stays)
    short = blank | ((filled <= 1) & (errors != "").to_numpy())
    start = len(frame)  # where the footer starts (none: the end)
    if mapping.footer:
        end, matched = len(frame), False
        while end > 0 and short[end - 1]:
            text = " ".join(v for v in frame.iloc[end - 1].tolist() if v).strip()
            matched |= any(p.search(text) for p in mapping.footer)
            end -= 1
        if matched:
            start = end
            footer_lines = [int(n) for n in lines[start:][~blank[start:]]]
            first, last = footer_lines[0], footer_lines[-1]
            where = f"line {first}" if first == last else f"lines {first}-{last}"
            notes.append(f"{origin}: {len(footer_lines)} footer line(s) skipped ({where})")
    keep = ~blank
    keep[start:] = False
    if mapping.skip_after_header:
        head = np.flatnonzero(keep)[: mapping.skip_after_header]
        keep[head] = False
        shown = ", ".join(str(int(n)) for n in lines[head])
        notes.append(f"{origin}: {len(head)} record(s) after the header skipped (line {shown})")
    skipped = int(blank[:start].sum())
    if skipped:
        notes.append(f"{origin}: {skipped} blank line(s) skipped")
    if keep.all():
        return frame, lines, errors
    index = np.flatnonzero(keep)
    return (
        frame.iloc[index].reset_index(drop=True),
        lines[index],
        errors.iloc[index].reset_index(drop=True),
    )


def _split_rows(
    frame: pd.DataFrame, lines: np.ndarray, errors: pd.Series, column: str, separator: str
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """One row per value of ``column`` (values trimmed, empty ones dropped; a row with none
    stays, the column empty), the record's other columns and line repeated."""
    values = [
        [v.strip() for v in text.split(separator) if v.strip()] or [""] for text in frame[column]
    ]
    take = np.repeat(np.arange(len(frame)), [len(v) for v in values])
    rows = frame.iloc[take].reset_index(drop=True)
    rows[column] = _strings([v for row in values for v in row])
    return rows, lines[take], errors.iloc[take].reset_index(drop=True)


def _fill_down(frame: pd.DataFrame, key: str, columns: Sequence[str]) -> pd.DataFrame:
    """Blank values of ``columns`` take the first non-blank value among rows of the same key."""
    keys = frame[key].where(frame[key].str.strip() != "")
    if keys.isna().all():
        return frame
    frame = frame.copy()
    for column in columns:
        if column not in frame:
            continue
        values = frame[column]
        blank = values.str.strip() == ""
        if not blank.any():
            continue
        first = values.where(~blank).groupby(keys).transform("first")
        frame[column] = values.where(~blank | first.isna(), first).fillna("").astype("str")
    return frame


class _Lookups:
    """The other exports ``lookup`` fields read, each read once: (file, key, value) → dict."""

    def __init__(self, mapping: Mapping, export: Path, root: Path | None) -> None:
        self.mapping = mapping
        self.folder = export.parent
        self.root = root
        self.tables: dict[tuple[str, str, str], dict[str, str]] = {}

    def table(self, spec: FieldSpec) -> dict[str, str]:
        assert spec.lookup is not None
        if spec.lookup not in self.tables:
            self.tables[spec.lookup] = self._read(spec)
        return self.tables[spec.lookup]

    def _read(self, spec: FieldSpec) -> dict[str, str]:
        file, key, value = spec.lookup  # type: ignore[misc]
        where = f"mapping {self.mapping.path}: field {spec.name}: lookup file {file!r}"
        path = self.folder / file
        if self.root is not None and not path.resolve().is_relative_to(self.root.resolve()):
            raise MappingError(f"{where} is outside the bundle folder")
        if not path.is_file():
            raise MappingError(f"{where} does not exist next to the export ({self.folder})")
        frame, _, _ = read_export(path, self.mapping.delimiter, self.mapping.encoding)
        absent = [c for c in (key, value) if c not in frame.columns]
        if absent:
            raise MappingError(f"{where} has no column(s) {absent}")
        given = (frame[key].str.strip() != "") & (frame[value].str.strip() != "")
        pairs = frame[[key, value]][given]
        pairs = pairs.drop_duplicates(subset=[key], keep="first")
        return dict(zip(pairs[key].str.strip(), pairs[value], strict=True))


def _passthrough(
    mapping: Mapping,
    path: Path,
    frame: pd.DataFrame,
    origins: pd.Series,
    errors: pd.Series,
    target: str | None,
) -> dict[str, pd.DataFrame]:
    schema = canonical_files()
    name = target or (path.stem + ".csv")
    if name not in schema:
        raise MappingError(
            f"mapping {mapping.name}: {path.name} is not a canonical bundle file "
            f"({', '.join(schema)}); give `target` in the bundle manifest"
        )
    required, _ = schema[name]
    missing = [col for col in required if col not in frame.columns]
    if missing:
        raise MappingError(
            f"mapping {mapping.name} ({mapping.path}) does not fit export {path}: "
            f"missing columns {missing}"
        )
    rows = frame.reset_index(drop=True)
    if (errors != "").any():
        rows[ERROR] = errors
    rows[ORIGIN] = origins
    return {name: rows}


@dataclass
class _Context:
    """The export rows one output sees (RangeIndex), with their lines and file name."""

    frame: pd.DataFrame
    lines: np.ndarray
    file: str
    timezone: str | None = None
    lookups: _Lookups | None = None
    source: str = ""

    def column(self, name: str) -> pd.Series:
        if name == "_line":
            return _strings(self.lines.astype(str).tolist())
        if name == "_file":
            return _strings([self.file] * len(self.frame))
        if name == "_source":
            return _strings([self.source] * len(self.frame))
        return self.frame[name]


def _where(conditions: Sequence[Condition], frame: pd.DataFrame) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for cond in conditions:
        values = frame[cond.column] if cond.column in frame else _blank(len(frame))
        value = cond.value
        if cond.ignore_case:
            values = values.str.casefold()
            if isinstance(value, str) and not cond.test.endswith("equals_column"):
                value = value.casefold()
            elif isinstance(value, tuple):
                value = tuple(v.casefold() for v in value)
        if cond.test in ("not_empty", "empty"):
            hit = values.str.strip() != ""
            if (cond.test == "empty") == bool(cond.value):
                hit = ~hit
        elif cond.test == "equals":
            hit = values == str(value)
        elif cond.test == "not_equals":
            hit = values != str(value)
        elif cond.test in ("equals_column", "not_equals_column"):
            other = frame[value] if value in frame else _blank(len(frame))
            other = other.str.casefold() if cond.ignore_case else other
            hit = values == other
            if cond.test == "not_equals_column":
                hit = ~hit
        elif cond.test == "in":
            hit = values.isin(value)
        elif cond.test == "not_in":
            hit = ~values.isin(value)
        else:
            flags = re.IGNORECASE if cond.ignore_case else 0
            hit = values.str.fullmatch(value.pattern, flags=flags).fillna(False)
            if cond.test == "not_matches":
                hit = ~hit
        mask &= np.asarray(hit, dtype=bool)
    return mask


def _output_rows(out: Output, ctx: _Context, broken: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The output's rows and the positions (in ``ctx``) they came from."""
    rows = pd.DataFrame({spec.name: _field_values(spec, ctx) for spec in out.fields})
    kept = np.arange(len(rows))
    keys = [c for c in out.distinct_on if c in rows.columns]
    if keys and len(rows):
        # Only well-formed rows with a full key collapse; anything else stays to be judged.
        keyed = (rows[keys] != "").all(axis=1).to_numpy() & ~broken
        duplicate = rows[keys].duplicated(keep="first").to_numpy() & keyed
        if duplicate.any():
            kept = kept[~duplicate]
            rows = rows[~duplicate].reset_index(drop=True)
    return rows, kept


def _field_values(spec: FieldSpec, ctx: _Context) -> pd.Series:
    size = len(ctx.frame)
    if spec.source == "column":
        values = ctx.column(spec.arg)
    elif spec.source == "const":
        values = _strings([spec.arg] * size)
    elif spec.source == "lookup":
        assert ctx.lookups is not None
        table = ctx.lookups.table(spec)
        values = _per_unique(ctx.column(spec.arg), lambda v: table.get(v.strip(), ""))
    elif spec.source == "coalesce":
        values = ctx.column(spec.arg[0])
        for name in spec.arg[1:]:
            values = values.where(values.str.strip() != "", ctx.column(name))
    else:
        values = _render(spec.arg, ctx)
        if spec.source == "template":
            values = values.str.replace(r"\s{2,}", " ", regex=True).str.strip()
        elif spec.digest:
            prefix = spec.arg.split("{", 1)[0]
            values = _strings(
                [prefix + hashlib.sha1(v.encode()).hexdigest()[: spec.digest] for v in values]
            )
    values = values.astype("str").reset_index(drop=True)
    if spec.strip_html:
        values = _per_unique(values, _plain_text)
    if spec.lower:
        values = values.str.lower()
    if spec.slug:
        values = _per_unique(values, _slug)
    if spec.map is not None:
        values = _apply_map(values, spec)
    if spec.date:
        values = _apply_dates(values, spec.date, ctx.timezone)
    if spec.epoch:
        values = _apply_epoch(values, spec.epoch)
    if spec.number:
        values = _apply_number(values, spec, ctx)
    return values


_BLOCK_TAGS = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6])\b[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def _plain_text(value: str) -> str:
    """HTML as the text a person reads: a line per paragraph or break, tags gone, entities
    decoded (Intercom's and Freshdesk's message bodies are HTML)."""
    text = html.unescape(_TAGS.sub("", _BLOCK_TAGS.sub("\n", value)))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _slug(value: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", value.lower()).strip("_")


def _per_unique(values: pd.Series, function: Any) -> pd.Series:
    """Apply a Python function once per distinct value (exports repeat a few values a lot)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = np.array([function(str(u)) for u in uniques], dtype=object)
    return _strings(mapped[codes].tolist()) if len(values) else values


def _render(template: str, ctx: _Context) -> pd.Series:
    parts: list[pd.Series | str] = []
    literal = ""
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        literal += template[position : match.start()]
        position = match.end()
        if match.group(1) is None:  # an escaped brace
            literal += match.group(0)[0]
            continue
        if literal:
            parts.append(literal)
            literal = ""
        parts.append(ctx.column(match.group(1)).reset_index(drop=True))
    literal += template[position:]
    if literal:
        parts.append(literal)
    result = _blank(len(ctx.frame))
    for part in parts:
        result = result + part
    return result


def _apply_map(values: pd.Series, spec: FieldSpec) -> pd.Series:
    if spec.ignore_case:
        table = {k.strip().casefold(): v for k, v in (spec.map or {}).items()}
    else:
        table = {k.strip(): v for k, v in (spec.map or {}).items()}

    def lookup(raw: str) -> str:
        key = raw.strip().casefold() if spec.ignore_case else raw.strip()
        if key in table:
            return table[key]
        if spec.default is not None and raw.strip():
            return spec.default
        return raw

    return _per_unique(values, lookup)


def _apply_dates(values: pd.Series, formats: Sequence[str], timezone: str | None) -> pd.Series:
    text = values.str.strip()
    out = values.to_numpy(dtype=object).copy()
    todo = np.asarray(text != "", dtype=bool).copy()
    for fmt in formats:
        if not todo.any():
            break
        where = np.flatnonzero(todo)
        iso, ok = _parse_dates(text.iloc[where].reset_index(drop=True), fmt, timezone)
        out[where[ok]] = iso[ok]
        todo[where[ok]] = False
    return _strings(out.tolist())


def _parse_dates(
    text: pd.Series, fmt: str, timezone: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """ISO-8601 text and a parsed flag per value (vectorised; offsets kept as +hh:mm).

    A time with no offset of its own, read from an export whose mapping names a ``timezone``,
    gets that zone's offset at that moment (an hour repeated when the clocks go back is read
    as the first, summer-time one; an hour skipped when they go forward moves forward).
    """
    iso = np.full(len(text), None, dtype=object)
    offset = None
    if fmt.endswith("%z") and "%z" not in fmt[:-2]:
        # Arrow's regex kernels, not pandas' per-value extract: a million stamps in a second
        parts = pc.extract_regex(
            pa.array(text.tolist(), pa.string()),
            r"^(?P<stamp>.*?)\s?(?P<offset>[+-]\d\d:?\d\d|Z)$",
        )
        stamp = pc.fill_null(pc.struct_field(parts, ["stamp"]), "")
        found = pc.fill_null(pc.struct_field(parts, ["offset"]), "")
        found = pc.replace_substring_regex(found, r"^([+-]\d\d):?(\d\d)$", r"\1:\2")
        found = pc.replace_substring(found, "Z", "+00:00")
        text = pd.Series(stamp, dtype="str")
        offset = pd.Series(found, dtype="str")
        fmt = fmt[:-2].rstrip()
    elif "%z" in fmt:
        known = [_strptime_iso(v, fmt) for v in text.tolist()]
        iso[:] = known
        return iso, np.array([v is not None for v in known], dtype=bool)
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    ok = np.array(parsed.notna(), dtype=bool)
    if offset is not None:
        ok &= (offset != "").to_numpy()
    unit = "s" if any(d in fmt for d in _TIME_DIRECTIVES) else "D"
    if ok.any():
        stamps = parsed[ok].to_numpy().astype(f"datetime64[{unit}]")
        iso[ok] = np.datetime_as_string(stamps, unit=unit).astype(object)
        if offset is not None:
            iso[ok] = iso[ok] + offset[ok].to_numpy(dtype=object)
        elif timezone is not None and unit == "s":
            local = parsed[ok].dt.tz_localize(
                timezone, ambiguous=np.ones(int(ok.sum()), dtype=bool), nonexistent="shift_forward"
            )
            wall = local.dt.tz_localize(None)
            minutes = (wall - local.dt.tz_convert("UTC").dt.tz_localize(None)) // pd.Timedelta(
                minutes=1
            )
            sign = np.where(minutes < 0, "-", "+")
            hours = (minutes.abs() // 60).astype(str).str.zfill(2)
            offset_text = sign + hours + ":" + (minutes.abs() % 60).astype(str).str.zfill(2)
            stamps = wall.to_numpy().astype("datetime64[s]")
            iso[ok] = (
                np.datetime_as_string(stamps, unit="s").astype(object) + offset_text
            ).to_numpy(dtype=object)
    return iso, ok


def _apply_epoch(values: pd.Series, unit: str) -> pd.Series:
    """Whole numbers of seconds, ms or µs since 1970 as ISO-8601 UTC ("…+00:00"), kept to the
    unit's precision; anything else is kept raw, for the loader to reject with its line."""
    text = values.str.strip()
    ok = np.asarray(text.str.fullmatch(r"[+-]?\d{1,19}").fillna(False), dtype=bool)
    if not ok.any():
        return values
    numbers = pd.to_numeric(text[ok], errors="coerce")
    good = numbers.notna() & (numbers.abs() < _EPOCH_LIMIT[unit])
    where = np.flatnonzero(ok)[good.to_numpy()]
    stamps = numbers[good].to_numpy(dtype=np.int64).astype(f"datetime64[{unit}]")
    out = values.to_numpy(dtype=object).copy()
    out[where] = np.char.add(np.datetime_as_string(stamps, unit=unit).astype(str), "+00:00")
    return _strings(out.tolist())


#: Beyond these an epoch is not a time anyone exported (and would overflow datetime64[us]).
_EPOCH_LIMIT = {"s": 10**11, "ms": 10**14, "us": 10**17}


def _strptime_iso(value: str, fmt: str) -> str | None:
    from datetime import datetime

    try:
        return datetime.strptime(value, fmt).isoformat()
    except ValueError:
        return None


_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"


def _apply_number(values: pd.Series, spec: FieldSpec, ctx: _Context) -> pd.Series:
    cleaned = _clean_number(values, spec.decimal)
    ok = np.asarray(cleaned.str.match(_NUMBER).fillna(False), dtype=bool)
    out = values.where(~ok, cleaned)
    if spec.multiply_by:
        other = _clean_number(ctx.column(spec.multiply_by).reset_index(drop=True), spec.decimal)
        both = ok & np.asarray(other.str.match(_NUMBER).fillna(False), dtype=bool)
        if both.any():
            product = pd.to_numeric(cleaned[both]) * pd.to_numeric(other[both])
            text = out.to_numpy(dtype=object).copy()
            text[both] = [f"{x:.10g}" for x in product.round(10)]
            out = _strings(text.tolist())
    return out


def _clean_number(values: pd.Series, decimal: str) -> pd.Series:
    cleaned = values.str.replace(r"[\s£$€¥'_]", "", regex=True)
    if decimal == ",":
        return cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return cleaned.str.replace(",", "", regex=False)


def _concat(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    parts = list(parts)
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return frame.fillna("").astype("str")


# --------------------------------------------------------------------------- bundles


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
