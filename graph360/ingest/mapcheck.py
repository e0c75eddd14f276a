"""``graph360 mapping check``: how an export maps, before anything is loaded.

A person writing or adapting a mapping wants to see, for their own export, what the first
rows become, which of its columns nothing reads (a typo in a column name shows up here as an
unused column and a missing one), and which rows the load would set aside and why. The check
runs the mapping and the loader's own row rules (required values, dates, numbers, ratings, a
row that names no customer) on the export alone and writes nothing; references to things
other files define (departments, steps, campaigns, customers) are the load's to check,
against the whole bundle and the graph.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from graph360.ingest import validate
from graph360.ingest.bundle import ERROR, FILES, LINE, ORIGIN, RawFile
from graph360.ingest.mapping import load_mapping, map_export
from graph360.ingest.rejects import original_text
from graph360.ingest.validate import Checker

__all__ = ["CheckReport", "check_mapping"]

#: The canonical files whose rows must name a customer, by (source, customer_id) or e-mail.
_NAMING_A_CUSTOMER = ("touchpoints", "campaign_members")


@dataclass
class CheckReport:
    """What ``mapping check`` found; ``to_dict`` is its JSON form."""

    mapping: str
    export: str
    records: int
    notes: list[str] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    #: Canonical file → how many rows the export gives it.
    rows: dict[str, int] = field(default_factory=dict)
    #: Canonical file → its first rows as mapped (canonical columns first, then extras).
    samples: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: Rows the load would reject: file, export line, reason, the line's own text.
    rejects: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_mapping(mapping_ref: str | Path, export: str | Path, rows: int = 5) -> CheckReport:
    """Map ``export`` with ``mapping_ref`` (a shipped name or a .toml path) and judge each row."""
    mapping = load_mapping(mapping_ref)
    path = Path(export)
    mapped = map_export(mapping, path)
    report = CheckReport(
        mapping=mapping.name,
        export=str(path),
        records=mapped.records,
        notes=mapped.notes,
        unused_columns=mapped.unused_columns,
    )
    for file, frame in mapped.frames.items():
        name = file.removesuffix(".csv")
        report.rows[file] = len(frame)
        shown = [c for c in frame.columns if c not in (ORIGIN, ERROR)]
        report.samples[file] = frame[shown].head(rows).to_dict("records")
        for reject in _row_rules(name, frame, path):
            report.rejects.append(reject)
    report.rejects.sort(key=lambda r: (r["line"], r["file"]))
    return report


def _row_rules(name: str, frame: pd.DataFrame, export: Path) -> list[dict[str, Any]]:
    spec = FILES[name]
    table = frame.replace("", None)
    lines = table[ORIGIN].str.rsplit(":", n=1).str[1].astype("int64")
    table[LINE] = lines.to_numpy()
    raw = RawFile(spec, export, table, rows_read=len(table))
    typed, found = validate.typed(raw)
    checker = Checker(raw, typed)
    if name == "touchpoints":
        validate.ratings(checker)
    if name in _NAMING_A_CUSTOMER:
        nobody = typed["customer_id"].isna() & typed["email"].isna()
        checker.fail(nobody, "names no customer: give customer_id (with source) or email")
    _, more = checker.split()
    found += more
    return [
        {
            "file": f"{name}.csv",
            "line": int(r.line),
            "reason": r.reason,
            "raw": original_text(export.parent, _at(r, export)) or r.raw,
        }
        for r in found
    ]


def _at(reject: Any, export: Path) -> Any:
    """The reject pointed at the export itself (its origin names the export by file name)."""
    reject.origin = f"{export.name}:{reject.line}"
    return reject
