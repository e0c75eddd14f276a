"""Reading a source export (CSV or JSON) into a frame of strings, fast when it is plain."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from graph360.errors import MappingError
from graph360.ingest.bundle import check_not_reserved
from graph360.ingest.nested import JSON_SUFFIXES, read_nested


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
