"""Applying a :class:`Mapping` to an export: field specs evaluated into canonical rows."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph360.errors import MappingError
from graph360.ingest.bundle import ERROR, ORIGIN
from graph360.ingest.mapping.dates import _apply_dates, _apply_epoch
from graph360.ingest.mapping.format import Condition, FieldSpec, Mapping, Output, canonical_files
from graph360.ingest.mapping.keys import _PLACEHOLDER
from graph360.ingest.mapping.reading import _blank, _strings, read_export
from graph360.ingest.nested import JSON_SUFFIXES


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
