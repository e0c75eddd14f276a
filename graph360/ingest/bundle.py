"""The canonical import bundle: which files, which columns, and reading them row-exactly.

A bundle is a folder of CSV (or Parquet) files named as in ``FILES``; every file is optional
except ``customers``. Reading never drops a row silently: a line with the wrong number of
fields or bytes that are not UTF-8 becomes a ``Reject`` carrying the file, the physical line
number and the raw text, and the rest of the file is read.

CSV is parsed by pyarrow (fast, both cores). Physical line numbers are exact even when a quoted
value spans lines: they are derived from the newlines inside each row, and when the file has
lines pyarrow skipped (a bad field count, a blank line) the file is re-scanned with the
standard ``csv`` module to number every row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graph360.errors import BundleError
from graph360.ingest.columns import TEXT_TYPES, one_chunk

# Column kinds the validator knows how to check.
TEXT, DATE, NUMBER, INTEGER = "text", "date", "number", "integer"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = False


@dataclass(frozen=True)
class FileSpec:
    """One canonical file: its name, its columns, and the column(s) that identify a row."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def known(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}


def _spec(name: str, key: tuple[str, ...], *columns: str) -> FileSpec:
    """Columns written as ``name`` / ``name*`` (required) with an optional ``:kind``."""
    parsed = []
    for text in columns:
        name_part, _, kind = text.partition(":")
        parsed.append(Column(name_part.rstrip("*"), kind or TEXT, name_part.endswith("*")))
    return FileSpec(name, tuple(parsed), key)


#: The canonical files of DESIGN.md §5, in the order they are validated (references first).
FILES: dict[str, FileSpec] = {
    spec.name: spec
    for spec in [
        _spec("departments", ("department_id",), "department_id*", "name", "division"),
        _spec(
            "accounts",
            ("account_id",),
            "account_id*",
            "name",
            "kind",
            "status",
            "plan",
            "opened_at:date",
            "value:number",
            "department_id",
        ),
        _spec("products", ("product_id",), "product_id*", "name", "category"),
        _spec("journeys", ("journey_id",), "journey_id*", "name", "persona"),
        _spec(
            "journey_steps",
            ("step_id",),
            "step_id*",
            "journey_id*",
            "name*",
            "position*:integer",
            "stage",
            "owner_department_ids",
        ),
        _spec(
            "campaigns",
            ("campaign_id",),
            "campaign_id*",
            "name",
            "channel",
            "department_id",
            "objective",
            "started_at:date",
            "ended_at:date",
        ),
        _spec(
            "customers",
            ("source", "customer_id"),
            "source*",
            "customer_id*",
            "name",
            "email",
            "phone",
            "gender",
            "birth_date:date",
            "city",
            "region",
            "country",
            "segment",
            "persona",
            "lifecycle_stage",
            "created_at:date",
            "address",
            "postcode",
            "pseudo_id",
            "identified_as",
        ),
        _spec(
            "holdings",
            ("source", "customer_id", "account_id"),
            "source*",
            "customer_id*",
            "account_id*",
            "role",
        ),
        _spec(
            "relationships",
            ("source", "from_customer_id", "to_customer_id", "kind"),
            "source*",
            "from_customer_id*",
            "to_customer_id*",
            "kind*",
            "weight:number",
            "since:date",
        ),
        _spec(
            "campaign_members",
            ("campaign_id", "source", "customer_id", "email"),
            "campaign_id*",
            "source",
            "customer_id",
            "email",
            "added_at:date",
        ),
        _spec(
            "consents",
            ("source", "customer_id", "email", "purpose", "channel", "at"),
            "source*",
            "customer_id",
            "email",
            "purpose*",
            "channel",
            "status*",
            "at:date",
        ),
        _spec(
            "touchpoints",
            ("touchpoint_id",),
            "touchpoint_id*",
            "at*:date",
            "channel*",
            "kind*",
            "source",
            "customer_id",
            "email",
            "campaign_id",
            "step_id",
            "department_id",
            "product_id",
            "value:number",
            "rating:number",
            "rating_scale:integer",
            "sentiment:number",
            "text",
            "outcome",
            "resolution",
            "agent_id",
        ),
    ]
}

#: Columns the loader itself adds to every frame it reads.
LINE, ORIGIN = "_line", "_origin"
#: Set by a source mapping on a row it could not read whole (e.g. the wrong field count).
ERROR = "_error"
#: Columns about a row rather than of it: never properties, never part of its raw text.
ROW_FACTS = (LINE, ORIGIN, ERROR)


@dataclass
class Reject:
    file: str
    line: int
    reason: str
    raw: str
    origin: str = ""


@dataclass
class RawFile:
    """One bundle file as read: every value a string (or None for empty), with its lines."""

    spec: FileSpec
    path: Path
    frame: pd.DataFrame  # the spec's columns, extra columns, LINE and (if given) ORIGIN
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0

    @property
    def extra_columns(self) -> list[str]:
        return [c for c in self.frame.columns if c not in self.spec.known and c not in ROW_FACTS]


def find_file(folder: Path, name: str, *, allow_outside: bool = False) -> Path | None:
    """The bundle file ``name`` (``customers``: customers.csv or customers.parquet) in
    ``folder``, or None when there is none.

    Nothing is skipped without a word: both spellings present, a folder, or a symlink that
    leads nowhere (or round in a loop) is a BundleError, and so is a file whose real place is
    outside ``folder`` (a symlink out of it) unless ``allow_outside``.
    """
    present = [folder / f"{name}{s}" for s in (".csv", ".parquet")]
    present = [p for p in present if p.is_symlink() or p.exists()]
    if len(present) > 1:
        raise BundleError(
            f"{folder}: both {present[0].name} and {present[1].name}: keep one (which one to "
            "load is not guessed)"
        )
    if not present:
        return None
    path = present[0]
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # broken, or a loop
        raise BundleError(f"{path.name}: a symlink that leads to no file") from None
    if not real.is_file():
        what = "a folder" if real.is_dir() else "not a regular file"
        raise BundleError(f"{path.name}: {what}: a bundle file is a CSV or Parquet file")
    if not allow_outside and not real.is_relative_to(folder.resolve()):
        raise BundleError(
            f"{path.name}: leads outside the bundle folder (to {real}); give --allow-outside "
            "to read files outside it"
        )
    return path


def read_bundle(
    folder: Path, *, own: bool = False, allow_outside: bool = False
) -> dict[str, RawFile]:
    """Every canonical file present in ``folder``; fails fast on a missing customers file or
    a file without its required columns (naming both).

    ``own``: the folder is one graph360 wrote (exports mapped into canonical files), whose
    rows may carry the loader's own columns (``_origin``, ``_error``); a user's file may not.
    """
    if not folder.is_dir():
        raise BundleError(f"{folder}: not a folder (a bundle is a folder of CSV or Parquet files)")
    paths = {name: find_file(folder, name, allow_outside=allow_outside) for name in FILES}
    if paths["customers"] is None:
        raise BundleError(f"{folder}: customers.csv (or customers.parquet) is required")
    return {
        name: read_file(path, FILES[name], own=own)
        for name, path in paths.items()
        if path is not None
    }


def read_file(path: Path, spec: FileSpec, *, own: bool = False) -> RawFile:
    if path.suffix == ".parquet":
        return _read_parquet(path, spec, own)
    return _read_csv(path, spec, own)


def check_not_reserved(path: Path, columns: list[str]) -> None:
    """A user's columns never collide with the loader's own: a column named ``_error`` would
    reject rows with its cell as the reason, ``_origin`` rewrite where a reject came from."""
    taken = [c for c in columns if c in ROW_FACTS]
    if taken:
        raise BundleError(
            f"{path.name}: column(s) {', '.join(taken)} have names graph360 keeps for its own "
            f"({', '.join(ROW_FACTS)}): rename them in the file"
        )


def _check_columns(path: Path, spec: FileSpec, columns: list[str], own: bool = False) -> None:
    if not own:
        check_not_reserved(path, columns)
    missing = [c for c in spec.required if c not in columns]
    if missing:
        raise BundleError(
            f"{path.name}: missing required column(s) {', '.join(missing)} "
            f"(found: {', '.join(columns) or 'none'})"
        )
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise BundleError(f"{path.name}: column {column!r} appears twice in the header")
        seen.add(column)


def _read_parquet(path: Path, spec: FileSpec, own: bool = False) -> RawFile:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise BundleError(f"{path.name}: cannot be read as Parquet ({error})") from None
    _check_columns(path, spec, table.column_names, own)
    text = pa.table(
        {name: _blank_to_null(_parquet_text(path, table, name)) for name in table.column_names}
    )
    frame = _text_frame(text)
    frame[LINE] = np.arange(1, len(frame) + 1)
    return RawFile(spec, path, frame, rows_read=len(frame))


def _text_frame(table: pa.Table) -> pd.DataFrame:
    """The frame of ``table``, each column one chunk: later steps take it back to Arrow
    several times, and a column of many chunks would be copied whole each time."""
    return table.combine_chunks().to_pandas(types_mapper=TEXT_TYPES.get)


def _parquet_text(path: Path, table: pa.Table, name: str) -> pa.ChunkedArray:
    column = table.column(name)
    try:
        return _as_text(column)
    except pa.ArrowException:
        raise BundleError(
            f"{path.name}: column {name!r} holds {column.type}, which a bundle cannot take "
            "(give text, numbers, dates or booleans)"
        ) from None


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        values = column.to_pandas().map(lambda v: None if pd.isna(v) else v.isoformat())
        return pa.chunked_array([pa.array(values.tolist(), pa.string())])
    return column.cast(pa.string())


def _header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        first = next(csv.reader(handle), [])
    return [c.strip() for c in first]


def _read_csv(path: Path, spec: FileSpec, own: bool = False) -> RawFile:
    header = _header(path)
    _check_columns(path, spec, header, own)
    skipped: list[str] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        skipped.append(row.text)
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            newlines_in_values=True, invalid_row_handler=on_invalid_row
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.binary() for c in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    rejects: list[Reject] = []
    lines = _row_lines(path, table) if not skipped else None
    if lines is None:
        lines, rejects = _scan_lines(path, spec, len(header))
    if len(lines) != table.num_rows:
        raise BundleError(f"{path.name}: could not number its rows (is it a CSV file?)")
    columns, undecodable = {}, np.zeros(table.num_rows, dtype=bool)
    for name in header:
        text, bad = _decode(table.column(name))
        columns[name] = _blank_to_null(text)
        undecodable |= bad
    for index in np.flatnonzero(undecodable):
        raw = _raw_row(table, int(index))
        rejects.append(Reject(spec.name, int(lines[index]), "bytes that are not UTF-8", raw))
    rows_read = table.num_rows + len(skipped)
    del table  # the bytes as read: the text columns are copies, so this frees a file's size
    frame = _text_frame(pa.table(columns)) if columns else pd.DataFrame()
    frame[LINE] = lines
    if undecodable.any():
        frame = frame[~undecodable]
    return RawFile(spec, path, frame, rejects, rows_read=rows_read)


def _row_lines(path: Path, table: pa.Table) -> np.ndarray | None:
    """Physical start line of each row, or None when the file has lines pyarrow skipped."""
    inner = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        counts = pc.count_substring(column, b"\n")
        inner += counts.to_numpy(zero_copy_only=False).astype(np.int64)
    starts = 2 + np.arange(table.num_rows, dtype=np.int64)
    starts[1:] += np.cumsum(inner)[:-1]
    expected = 1 + table.num_rows + int(inner.sum())
    if _count_lines(path) != expected:
        return None
    return starts


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


def _scan_lines(path: Path, spec: FileSpec, width: int) -> tuple[np.ndarray, list[Reject]]:
    """Number every row with the csv module; rows with the wrong field count become rejects."""
    lines, rejects = [], []
    with path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        start = reader.line_num + 1
        for fields in reader:
            if fields == [] or fields == [""]:
                start = reader.line_num + 1
                continue
            if len(fields) == width:
                lines.append(start)
            else:
                reason = f"wrong number of fields: {len(fields)} where the header has {width}"
                rejects.append(Reject(spec.name, start, reason, _encode_row(fields)))
            start = reader.line_num + 1
    return np.asarray(lines, dtype=np.int64), rejects


def _decode(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    """A binary column as text; values that are not UTF-8 are marked and left empty."""
    try:
        return column.cast(pa.string()), np.zeros(len(column), dtype=bool)
    except pa.ArrowInvalid:
        values, bad = [], np.zeros(len(column), dtype=bool)
        for index, raw in enumerate(column.to_pylist()):
            try:
                values.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                values.append(None)
                bad[index] = True
        return pa.chunked_array([pa.array(values, pa.string())]), bad


def _raw_row(table: pa.Table, index: int) -> str:
    fields = [
        (v or b"").decode("utf-8", errors="backslashreplace")
        for v in (table.column(c)[index].as_py() for c in table.column_names)
    ]
    return _encode_row(fields)


def _encode_row(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(
        [f.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") for f in fields]
    )
    return buffer.getvalue()


def _blank_to_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trim every text value; an empty one is missing (null). One chunk, so that the frame is
    made without copying the file's text once more. A column of ASCII text (the usual export)
    is trimmed bytewise, a third of the time of the Unicode-aware trim; blanks become nulls by
    their validity bits alone, the text left where the trim put it."""
    ascii_only = pc.all(pc.string_is_ascii(column)).as_py() is not False
    trim = pc.ascii_trim_whitespace if ascii_only else pc.utf8_trim_whitespace
    trimmed = one_chunk(trim(one_chunk(column)))
    given = pc.and_kleene(pc.is_valid(trimmed), pc.greater(pc.binary_length(trimmed), 0))
    if given.offset or trimmed.offset:  # bitmaps must start where the values do
        return pa.chunked_array([pc.if_else(given, trimmed, pa.scalar(None, pa.string()))])
    validity = given.buffers()[1]
    values = pa.Array.from_buffers(pa.string(), len(trimmed), [validity, *trimmed.buffers()[1:]])
    return pa.chunked_array([values])


def raw_text(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Each row's values as one CSV line, for the reject file."""
    parts = frame[columns].astype("string").fillna("")
    return pd.Series(
        [_encode_row(list(row)) for row in parts.itertuples(index=False)], index=frame.index
    )
