"""The mapping format: a mapping TOML file parsed into a checked :class:`Mapping`.

Over 500 lines for a reason: about 110 of them are this docstring, the format's specification,
kept beside the parser that enforces it.

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
"""

from __future__ import annotations

import codecs
import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from graph360.errors import MappingError
from graph360.ingest.mapping.keys import (
    _PLACEHOLDER,
    _PSEUDO,
    _TESTS,
    _VALUE_SOURCES,
    CONDITION_KEYS,
    CONSENT_KEYS,
    EPOCH_UNITS,
    FIELD_KEYS,
    FILL_DOWN_KEYS,
    LOADERS_DIR,
    LOOKUP_KEYS,
    OUTPUT_KEYS,
    SPLIT_KEYS,
    TOP_LEVEL_KEYS,
)


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
        return self.read_columns - self.optional_columns

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
    """Every mapping that ships in loaders/, sorted by name (for `graph360 mappings`)."""
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
    unknown = sorted(set(raw) - CONSENT_KEYS)
    if unknown:
        raise fail(f"{label}: unknown keys {unknown} (allowed: {sorted(CONSENT_KEYS)})")
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
