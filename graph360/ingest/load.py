"""Loading a bundle: read, validate, resolve identities, then write everything in one go.

The flow is one way: files → typed rows → checked rows (rejects set aside) → identity
resolution → node and relationship tables → one atomic write. On LadybugDB the write is one
transaction, so a crash mid-load leaves the graph as it was; every write is an upsert by key,
so loading the same bundle again changes nothing.

Each file's rules are in :mod:`graph360.ingest.checks`, who each row is in
:mod:`graph360.ingest.people`, the tables in :mod:`graph360.ingest.tables` and what changed
since the last load in :mod:`graph360.ingest.changes`; this module runs them in order and
reports.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow as pa

from graph360 import facts, merges, model, suppression
from graph360.errors import BundleError
from graph360.ingest import (
    changes,
    checks,
    identifiers,
    identity,
    sentiment,
    taken,
)
from graph360.ingest import rejects as reject_file
from graph360.ingest.bundle import FILES, RawFile, Reject, find_file, read_bundle
from graph360.ingest.people import People, customer_references
from graph360.ingest.tables import graph_tables
from graph360.periods import utc_now
from graph360.store.base import GraphStore

Progress = Callable[[str], None]
_Written = TypeVar("_Written", tuple[str, pa.Table], tuple[str, pa.Table, bool])

#: The steps a load goes through, for progress bars.
STEPS = (
    "read",
    "validate",
    "resolve identities",
    "check linked rows",
    "compare with the graph",
    "score sentiment",
    "build tables",
    "write nodes",
    "write relationships",
)


@dataclass
class FileReport:
    """One file's rows: read; kept by every rule (``loaded``), of which new, changed (both
    written) and unchanged (left as they were); set aside (``rejected``)."""

    rows_read: int = 0
    loaded: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass
class LoadReport:
    bundle: str
    store: str
    files: dict[str, FileReport] = field(default_factory=dict)
    customers_created: int = 0
    customers_merged: int = 0
    records_linked: int = 0
    identifiers_blocked: dict[str, int] = field(default_factory=dict)
    #: Identifiers shared by records whose names disagree, not followed: "phone:+44…" -> the
    #: record keys of each group of agreeing names (graph360.ingest.identity).
    identity_conflicts: dict[str, list[list[str]]] = field(default_factory=dict)
    nodes_created: dict[str, int] = field(default_factory=dict)
    relationships_created: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    rejects_path: str | None = None
    #: What mapping the exports skipped or made, in words (footers, blank lines, created ids).
    notes: list[str] = field(default_factory=list)
    #: The bundle is the one the last load brought into this graph: nothing was compared.
    unchanged_bundle: bool = False
    #: file -> rows left out because they name an erased person (graph360.suppression)
    suppressed: dict[str, int] = field(default_factory=dict)
    #: Texts of new or changed touchpoints without a source sentiment, scored
    #: (graph360.ingest.sentiment), and the seconds that took.
    sentiment_scored: int = 0
    sentiment_seconds: float = 0.0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def load_bundle(
    store: GraphStore,
    folder: Path,
    *,
    rejects_path: Path | None = None,
    max_shared: int = identity.DEFAULT_MAX_SHARED,
    default_region: str = identity.DEFAULT_REGION,
    recheck: bool = False,
    allow_outside: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Load the bundle in ``folder`` (canonical files, or exports listed in bundle.toml).

    A bundle reads only files inside its folder (a symlink or a ``bundle.toml`` entry that
    leads out of it is refused) and mappings shipped by name or kept inside it, unless
    ``allow_outside``.

    The bundle the last load brought into this very graph (same bytes, settings and loader,
    and nothing written since) is known unchanged by its digest alone; ``recheck`` compares it
    row by row all the same.
    """
    started = time.perf_counter()
    step = progress or (lambda _: None)
    report = LoadReport(bundle=str(folder), store=store.location)
    with tempfile.TemporaryDirectory(prefix="graph360-bundle-") as staging:
        step("read")
        canonical = _materialize(folder, Path(staging), allow_outside, store)
        own = canonical != folder
        present = [
            path
            for name in FILES
            if (path := find_file(canonical, name, allow_outside=allow_outside)) is not None
        ]
        digest = changes.bundle_digest(
            present, max_shared=max_shared, default_region=default_region
        )
        report.notes = _notes(canonical) if own else []
        if not recheck and _unchanged_since_last_load(store, digest, report):
            reject_file.clear_stale(rejects_path or Path("graph360-rejects.csv"))
            report.seconds = round(time.perf_counter() - started, 3)
            return report
        empty = store.is_empty()
        check_memory(canonical)
        raw = read_bundle(canonical, own=own, allow_outside=allow_outside)
        for name, file in raw.items():
            report.files[name] = FileReport(rows_read=file.rows_read)
        fingerprint = taken.fingerprint(max_shared=max_shared, default_region=default_region)
        lines = {name: taken.lines_of(raw[name]) for name in taken.REMEMBERED if name in raw}
        known = {} if recheck or empty else taken.taken(store, fingerprint)
        dropped = taken.skip_taken(raw, lines, known)
        batch = prepare_batch(
            store, raw, max_shared=max_shared, default_region=default_region, progress=step
        )
        if not batch.fresh:
            check_write_memory(canonical, store, batch)
        del raw  # writing needs only the tables: the frames' memory is the engine's now
        resolution = batch.people.resolution
        report.customers_created = len(resolution.new_customers)
        report.customers_merged = len(resolution.merged_customers)
        report.records_linked = resolution.records_merged()
        report.identifiers_blocked = resolution.blocked
        report.identity_conflicts = resolution.conflicts
        for name, frame in batch.checked.items():
            report.files[name].loaded = len(frame)
        for reject in batch.rejects:
            report.files[reject.file].rejected += 1
        report.rejected = len(batch.rejects)
        report.suppressed = {name: len(lines) for name, lines in batch.suppressed.items()}
        report.sentiment_scored = batch.sentiment_scored
        report.sentiment_seconds = round(batch.sentiment_seconds, 3)
        for name, found in batch.changes.items():
            counts = report.files.setdefault(name, FileReport())
            counts.new, counts.changed, counts.unchanged = found.new, found.changed, found.unchanged
            if name not in batch.checked:  # the customers folded from records
                counts.loaded = found.new + found.changed + found.unchanged
        for name, count in dropped.items():  # lines the last load took: unchanged, unread
            report.files[name].loaded += count
            report.files[name].unchanged += count
        kept = taken.kept_hashes(lines, batch.rejects, batch.suppressed)
        del lines
        batch.checked = {}  # counted: like ``raw``, not needed to write
        pa.default_memory_pool().release_unused()  # give it back: 6.5 -> 3.7 GiB at 1M/10M
        with store.building() if batch.fresh else _within(store) as target:
            report.nodes_created, report.relationships_created = write_batch(
                target, batch, progress=step
            )
            if not batch.rejects:  # a rejected row could load later: keep comparing rows
                _mark_loaded(target, digest, report)
            token = taken.remember(target, store, fingerprint, kept)
        taken.forget_others(store, token)
    path = rejects_path or Path("graph360-rejects.csv")
    if batch.rejects:
        reject_file.write_rejects(path, batch.rejects, folder)
        report.rejects_path = str(path)
    else:  # a clean run leaves no list of an earlier run's problems behind
        reject_file.clear_stale(path)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


@contextmanager
def _within(store: GraphStore) -> Iterator[GraphStore]:
    """``store`` itself, inside one transaction (what ``building()`` is for an empty store)."""
    with store.atomic():
        yield store


def _unchanged_since_last_load(store: GraphStore, digest: str, report: LoadReport) -> bool:
    """Whether the graph is exactly what a load of this same bundle left; if so ``report``
    says so with that load's counts, every kept row unchanged."""
    marks = store.query("last_load")
    if not marks or marks[0]["digest"] != digest:
        return False
    previous = json.loads(marks[0]["report"])
    report.unchanged_bundle = True
    report.records_linked = previous["records_linked"]
    report.identifiers_blocked = previous["identifiers_blocked"]
    report.identity_conflicts = previous.get("identity_conflicts", {})
    for name, counts in previous["files"].items():
        report.files[name] = FileReport(
            rows_read=counts["rows_read"], loaded=counts["loaded"], unchanged=counts["loaded"]
        )
    return True


def _mark_loaded(store: GraphStore, digest: str, report: LoadReport) -> None:
    """Leave the mark :func:`_unchanged_since_last_load` looks for, in the load's own write."""
    kept = {
        "files": {
            name: {"rows_read": f.rows_read, "loaded": f.loaded} for name, f in report.files.items()
        },
        "records_linked": report.records_linked,
        "identifiers_blocked": report.identifiers_blocked,
        "identity_conflicts": report.identity_conflicts,
    }
    mark = {
        "digest": [digest],
        "report": [json.dumps(kept, sort_keys=True)],
        "loaded_at": [utc_now()],
    }
    store.upsert_nodes("LastLoad", pa.table(mark, schema=model.node("LastLoad").arrow_schema()))


@dataclass
class Batch:
    """Rows read, checked and resolved, ready to write: what a bulk load and a single recorded
    touchpoint (``graph360.ingest.realtime``) have in common."""

    checked: dict[str, pd.DataFrame]  # file name -> rows that kept every rule
    people: People
    rejects: list[Reject]
    nodes: list[tuple[str, pa.Table]]
    relationships: list[tuple[str, pa.Table]]
    #: file name (and "Customer" for the customers folded from records) -> how its rows
    #: compare with the store (graph360.ingest.changes)
    changes: dict[str, changes.FileChanges] = field(default_factory=dict)
    #: The store was empty: nothing was read back, and a load may build the graph afresh.
    fresh: bool = False
    #: file name -> lines left out because they name an erased person (graph360.suppression)
    suppressed: dict[str, list[int]] = field(default_factory=dict)
    #: Touchpoint texts given a computed sentiment, and the seconds it took.
    sentiment_scored: int = 0
    sentiment_seconds: float = 0.0


def prepare_batch(
    store: GraphStore,
    raw: dict[str, RawFile],
    *,
    max_shared: int = identity.DEFAULT_MAX_SHARED,
    default_region: str = identity.DEFAULT_REGION,
    neighbourhood: bool = False,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> Batch:
    """Validate ``raw`` (canonical files, ``customers`` among them), resolve identities and
    build the node and relationship tables; nothing is written.

    ``neighbourhood`` resolves against the identity neighbourhood of the batch instead of every
    record in the store (see :meth:`People.resolve`): the same customers, for a small batch at
    the cost of a few lookups instead of reading every record. ``now`` stamps new records.
    """
    step = progress or (lambda _: None)
    step("validate")
    rejects: list[Reject] = [reject for file in raw.values() for reject in file.rejects]
    context = checks.Context(store)
    checked = checks.check_reference_files(raw, context, rejects)
    customers = checks.check_customers(raw["customers"], rejects, default_region)
    screen = suppression.Screen.of(store)  # erased people are not brought back
    customers = screen.customers(customers)
    step("resolve identities")
    references = customer_references(raw) if neighbourhood else None
    people = People.resolve(store, customers, max_shared, references=references)
    screen.linked(raw, people)
    step("check linked rows")
    checked.update(checks.check_customer_files(raw, context, people, rejects, default_region))
    checked["customers"] = checks.stamp_identities(customers, people)
    if "journey_steps" in checked:
        checked["journey_steps"] = checks.stamp_successors(checked["journey_steps"])
    folded = checks.fold_customers(checked["customers"], people)
    # An empty store needs no hashes read back. Knowing it costs a query per label, so a live
    # event (``neighbourhood``) does without: reading back is always correct, only slower.
    step("compare with the graph")
    fresh = not neighbourhood and store.is_empty()
    found: dict[str, changes.FileChanges] = {}
    written: dict[str, pd.DataFrame] = {}  # the rows that are new or changed
    for name, anchor in changes.ANCHORS.items():
        if name in checked:
            written[name], found[name] = changes.compare(store, anchor, checked[name], fresh=fresh)
    folded, found["Customer"] = changes.compare(store, changes.CUSTOMER, folded, fresh=fresh)
    step("score sentiment")  # new and changed rows only: a reload scores nothing again
    started = time.perf_counter()
    scored = 0
    if "touchpoints" in written:
        written["touchpoints"] = sentiment.annotate(written["touchpoints"])
        scored = int(written["touchpoints"]["sentiment_computed"].notna().sum())
    scoring = time.perf_counter() - started
    step("build tables")
    nodes, relationships = graph_tables(written, folded, people, store, now)
    return Batch(
        checked,
        people,
        rejects,
        nodes,
        relationships,
        found,
        fresh,
        suppressed=screen.left_out,
        sentiment_scored=scored,
        sentiment_seconds=scoring,
    )


def write_batch(
    store: GraphStore, batch: Batch, *, progress: Progress | None = None, who: str = "load"
) -> tuple[dict[str, int], dict[str, int]]:
    """Upsert everything in ``batch`` (call inside ``store.atomic()``); how many nodes per
    label and relationships per type were new. ``who`` names the writer in the merge log."""
    step = progress or (lambda _: None)
    nodes_created: dict[str, int] = {}
    relationships_created: dict[str, int] = {}
    store.write("forget_last_load")  # the graph is about to differ from what that load left
    facts.bump_version(store)  # and from the analytics' projection of it
    step("write nodes")
    records = [rows for label, rows in batch.nodes if label == "SourceRecord"]
    for label, rows in _each_once(batch.nodes):
        created = store.upsert_nodes(label, rows)
        nodes_created[label] = nodes_created.get(label, 0) + created
    splits = merges.apply_moves(store, batch.people.resolution, who=who)
    store.merge_nodes("Customer", batch.people.resolution.merged_customers)
    merges.log_identified(store, batch.people.resolution, who=who)
    step("write relationships")
    relationships = changes.replace_owned(store, batch.changes, batch.relationships)
    batch.relationships = []  # ``relationships`` holds them now: let each go once written
    for rel_type, rows, new in _each_once(relationships):
        created = store.upsert_relationships(rel_type, rows, new=new)
        relationships_created[rel_type] = relationships_created.get(rel_type, 0) + created
    identifiers.write_index(store, batch, records)  # the e-mail/phone index of the records
    merges.refold(store, merges.touched(splits), batch.people.resolution.blocked)
    return nodes_created, relationships_created


def _each_once(tables: list[_Written]) -> Iterator[_Written]:
    """The tables in order, each let go of once written: at ten million touchpoints a written
    table is gigabytes that the engine's next ``COPY`` can use. ``tables`` ends empty."""
    while tables:
        yield tables.pop(0)
        pa.default_memory_pool().release_unused()  # the allocator keeps freed memory else


#: Peak resident memory of reading and preparing a bundle, per byte of its files, measured
#: at 1M customers / 10M touchpoints (1.28 GB of CSV, 2026-12-04, docs/DECISIONS.md "Loads
#: within the memory they say"): 9.5 GiB for a first load (its copies into the side database
#: included), 7.8 GiB for a full compare.
MEMORY_PER_CSV_BYTE = 9.0


def check_memory(folder: Path) -> None:
    """Refuse a bundle this machine has too little memory to read and prepare, before
    anything is read: a clear error instead of the kernel killing the load half-way."""
    size = _bundle_bytes(folder)
    _refuse_beyond(folder, size * MEMORY_PER_CSV_BYTE, f"loading {size / 1e9:.2f} GB of files")


def check_write_memory(folder: Path, store: GraphStore, batch: Batch) -> None:
    """Refuse to write ``batch`` into a graph with data when its one transaction would not
    fit (the store's figure for it, and the tables twice: as built and as the engine reads
    them), before anything is written. A batch that writes nothing needs nothing."""
    tables = [table for _, table in batch.nodes] + [table for _, table in batch.relationships]
    if not any(table.num_rows for table in tables):
        return
    needed = store.transaction_memory() + 2 * sum(table.nbytes for table in tables)
    rows = sum(table.num_rows for table in tables)
    _refuse_beyond(folder, needed, f"writing {rows:,} new and changed nodes and relationships")


def _bundle_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.suffix in (".csv", ".parquet"))


def _refuse_beyond(folder: Path, needed: float, what: str) -> None:
    available = _available_memory()
    if available is not None and needed > available:
        gib = 1024**3
        raise BundleError(
            f"{folder}: {what} needs about {needed / gib:.1f} GiB of memory and "
            f"{available / gib:.1f} GiB is available; free memory, or load the bundle in "
            "parts (a bundle of only the new rows loads the same way)"
        )


def _available_memory() -> int | None:
    """MemAvailable (Linux), or None where the system does not say."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _materialize(folder: Path, staging: Path, allow_outside: bool, store: GraphStore) -> Path:
    """A canonical bundle folder: ``folder`` itself, or its exports mapped into ``staging``
    (references a source is told to ``create`` are made only where the graph lacks them)."""
    if not (folder / "bundle.toml").exists():
        return folder
    from graph360.ingest.mapping import materialize

    def existing(label: str, keys: list[str]) -> set[str]:
        return set(store.existing_keys(label, pa.array(keys, pa.string())).to_pylist())

    return materialize(folder, staging, allow_outside=allow_outside, existing=existing)


def _notes(canonical: Path) -> list[str]:
    from graph360.ingest.mapping import read_notes

    return read_notes(canonical)
