"""The reject file: every row a load set aside, with the text it had in the user's own file.

A reject is found on a canonical row, after mapping; but the person who fixes it has the
export in front of them, not graph360's canonical files. So the ``raw`` column holds the
record exactly as it stands in the export (or in the bundle's own canonical file), found
through the row's ``_origin`` ("exports/contacts.csv:12": the file inside the bundle and the
physical line its record starts on). A record whose quoted field spans lines is given whole:
lines are taken until the quotes balance. Only a Parquet export, which has no lines, keeps
the converted row.

The file is written only when there are rejects; a load with none removes the file an earlier
load left at the same place (recognised by its header), so an old list of problems is never
taken for the current one.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from graph360.ingest.bundle import Reject

__all__ = ["HEADER", "clear_stale", "original_text", "write_rejects"]

HEADER = ["file", "line", "reason", "raw", "origin"]
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".ndjson", ".jsonl", ".json")


def write_rejects(path: Path, rejects: list[Reject], bundle: Path | None = None) -> None:
    """Write ``rejects`` to ``path``, their raw text taken from the bundle's files when found."""
    lines = _Lines(bundle)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for r in sorted(rejects, key=lambda r: (r.file, r.line)):
            raw = lines.record(r) if bundle is not None else None
            writer.writerow(
                [f"{r.file}.csv", r.line, r.reason, r.raw if raw is None else raw, r.origin]
            )


def clear_stale(path: Path) -> bool:
    """Remove a reject file an earlier load wrote at ``path``; True when one was removed.

    Only a file that starts with the reject file's header is removed: a path that names
    something else is left alone.
    """
    if not path.is_file():
        return False
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        first = next(csv.reader(handle), None)
    if first != HEADER:
        return False
    path.unlink()
    return True


def original_text(bundle: Path, reject: Reject) -> str | None:
    """The record behind ``reject`` as it stands in its file in ``bundle``, or None."""
    return _Lines(bundle).record(reject)


class _Lines:
    """The lines of each file rejects point into, read once per file."""

    def __init__(self, bundle: Path | None) -> None:
        self.bundle = bundle
        self.files: dict[Path, list[str] | None] = {}

    def record(self, reject: Reject) -> str | None:
        if self.bundle is None:
            return None
        place = self._place(reject)
        if place is None:
            return None
        path, line = place
        lines = self._read(path)
        if lines is None or not 1 <= line <= len(lines):
            return None
        if path.suffix.lower() in (".ndjson", ".jsonl", ".json"):
            return lines[line - 1].rstrip("\r\n")
        text, index = lines[line - 1], line
        while text.count('"') % 2 and index < len(lines):  # a quoted field goes on
            text += lines[index]
            index += 1
        return text.rstrip("\r\n")

    def _place(self, reject: Reject) -> tuple[Path, int] | None:
        assert self.bundle is not None
        if reject.origin:
            name, _, number = reject.origin.rpartition(":")
            if not number.isdigit():
                return None  # a row graph360 made (``:created``), not one of a file
            path = self.bundle / name
            line = int(number)
        else:
            path = self.bundle / f"{reject.file}.csv"
            line = reject.line
        try:
            inside = path.resolve().is_relative_to(self.bundle.resolve())
        except OSError:
            return None
        if path.suffix.lower() not in _TEXT_SUFFIXES or not path.is_file() or not inside:
            return None
        return path, line

    def _read(self, path: Path) -> list[str] | None:
        if path not in self.files:
            try:
                text = path.read_bytes().decode("utf-8-sig", errors="replace")
            except OSError:
                self.files[path] = None
            else:
                # split as the csv module counts lines (\n, \r\n or \r), not str.splitlines
                self.files[path] = io.StringIO(text, newline="").readlines()
        return self.files[path]
