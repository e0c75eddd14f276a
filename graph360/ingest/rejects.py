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
from pathlib import Path

from graph360.ingest.bundle import Reject

__all__ = ["HEADER", "clear_stale", "original_text", "write_rejects"]

HEADER = ["file", "line", "reason", "raw", "origin"]
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".ndjson", ".jsonl", ".json")


def write_rejects(path: Path, rejects: list[Reject], bundle: Path | None = None) -> None:
    """Write ``rejects`` to ``path``, their raw text taken from the bundle's files when found."""
    texts = _Records(bundle).find(rejects) if bundle is not None else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for r in sorted(rejects, key=lambda r: (r.file, r.line)):
            raw = texts.get(id(r), r.raw)
            writer.writerow([f"{r.file}.csv", r.line, r.reason, raw, r.origin])


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
    return _Records(bundle).find([reject]).get(id(reject))


class _Records:
    """Finds rejected records in the bundle's files, reading each file once, line by line.

    Only the wanted lines are kept, so a ten-million-line export with a few rejects costs one
    pass over it and no more memory than those records.
    """

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle

    def find(self, rejects: list[Reject]) -> dict[int, str]:
        wanted: dict[Path, dict[int, list[int]]] = {}
        for reject in rejects:
            place = self._place(reject)
            if place is not None:
                path, line = place
                wanted.setdefault(path, {}).setdefault(line, []).append(id(reject))
        texts: dict[int, str] = {}
        for path, lines in wanted.items():
            for line, text in self._scan(path, set(lines)).items():
                for key in lines[line]:
                    texts[key] = text
        return texts

    def _place(self, reject: Reject) -> tuple[Path, int] | None:
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

    @staticmethod
    def _scan(path: Path, lines: set[int]) -> dict[int, str]:
        """Line number → the record starting there (until its quotes balance; one line for
        JSON). Lines are split as the csv module counts them: \n, \r\n or \r."""
        json_lines = path.suffix.lower() in (".ndjson", ".jsonl", ".json")
        found: dict[int, str] = {}
        last = max(lines)
        open_record: tuple[int, str] | None = None
        try:
            handle = path.open("r", encoding="utf-8-sig", errors="replace", newline="")
        except OSError:
            return found
        with handle:
            for number, text in enumerate(handle, start=1):
                if open_record is not None:
                    start, so_far = open_record
                    so_far += text
                    if so_far.count('"') % 2 == 0:
                        found[start] = so_far.rstrip("\r\n")
                        open_record = None
                    else:
                        open_record = (start, so_far)
                    continue
                if number in lines:
                    if json_lines or text.count('"') % 2 == 0:
                        found[number] = text.rstrip("\r\n")
                    else:
                        open_record = (number, text)
                if number >= last and open_record is None:
                    break
        if open_record is not None:
            found[open_record[0]] = open_record[1].rstrip("\r\n")
        return found
