"""Loading a bundle: read, validate, resolve identities, then write everything in one go.

The flow is one way: files → typed rows → checked rows (rejects set aside) → identity
resolution → node and relationship tables → one atomic write. On LadybugDB the write is one
transaction, so a crash mid-load leaves the graph as it was; every write is an upsert by key,
so loading the same bundle again changes nothing.
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
import pyarrow.compute as pc

from graph360 import consent, facts, merges, model, suppression
from graph360.errors import BundleError
from graph360.ingest import (
    changes,
    identifiers,
    identity,
    sentiment,
    survivorship,
    validate,
)
from graph360.ingest import rejects as reject_file
from graph360.ingest.bundle import FILES, RawFile, Reject, find_file, read_bundle
from graph360.ingest.columns import text_array, text_series
from graph360.ingest.tables import graph_tables
from graph360.ingest.validate import Checker
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


@dataclass
class _Context:
    """What the checks of later files need from earlier ones and from the store."""

    store: GraphStore
    keys: dict[str, set[str]] = field(default_factory=dict)  # label -> keys known so far

    def known(self, label: str, values: pd.Series) -> set[str]:
        """Keys of ``label`` in the bundle so far or already in the store, among ``values``."""
        bundle = self.keys.get(label, set())
        wanted = pd.unique(values.dropna())
        outside = [v for v in wanted if v not in bundle]
        if not outside:
            return bundle
        found = self.store.existing_keys(label, pa.array(outside, pa.string()))
        return bundle | set(found.to_pylist())


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
        check_memory(canonical, empty=store.is_empty())
        raw = read_bundle(canonical, own=own, allow_outside=allow_outside)
        for name, file in raw.items():
            report.files[name] = FileReport(rows_read=file.rows_read)
        batch = prepare_batch(
            store, raw, max_shared=max_shared, default_region=default_region, progress=step
        )
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
        batch.checked = {}  # counted: like ``raw``, not needed to write
        pa.default_memory_pool().release_unused()  # give it back: 6.5 -> 3.7 GiB at 1M/10M
        with store.building() if batch.fresh else _within(store) as target:
            report.nodes_created, report.relationships_created = write_batch(
                target, batch, progress=step
            )
            if not batch.rejects:  # a rejected row could load later: keep comparing rows
                _mark_loaded(target, digest, report)
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
    people: _People
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
    record in the store (see :meth:`_People.resolve`): the same customers, for a small batch at
    the cost of a few lookups instead of reading every record. ``now`` stamps new records.
    """
    step = progress or (lambda _: None)
    step("validate")
    rejects: list[Reject] = [reject for file in raw.values() for reject in file.rejects]
    context = _Context(store)
    checked = _check_reference_files(raw, context, rejects)
    customers = _check_customers(raw["customers"], rejects, default_region)
    screen = suppression.Screen.of(store)  # erased people are not brought back
    customers = screen.customers(customers)
    step("resolve identities")
    references = _references(raw) if neighbourhood else None
    people = _People.resolve(store, customers, max_shared, references=references)
    screen.linked(raw, people)
    step("check linked rows")
    checked.update(_check_customer_files(raw, context, people, rejects, default_region))
    checked["customers"] = _stamp_identities(customers, people)
    if "journey_steps" in checked:
        checked["journey_steps"] = _stamp_successors(checked["journey_steps"])
    folded = _fold_customers(checked["customers"], people)
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


#: Peak resident memory of a load per byte of its files, measured at 1M customers / 10M
#: touchpoints (1.28 GB of CSV, 2026-12-04, docs/DECISIONS.md "Loads within the memory they
#: say"): 9.5 GiB for a first load, so 9 a byte into an empty store; the nightly delta into the
#: loaded graph 20.5 GiB (the engine holds one transaction's changes in memory and its commit
#: rewrites what they touched), so 17.5 a byte into a graph with data.
MEMORY_PER_CSV_BYTE = {"empty store": 9.0, "graph with data": 17.5}


def check_memory(folder: Path, *, empty: bool) -> None:
    """Refuse, before anything is read or written, a bundle this machine has too little memory
    to load (into an ``empty`` store or not): a clear error instead of the kernel killing the
    load half-way."""
    size = sum(p.stat().st_size for p in folder.iterdir() if p.suffix in (".csv", ".parquet"))
    needed = size * MEMORY_PER_CSV_BYTE["empty store" if empty else "graph with data"]
    available = _available_memory()
    if available is not None and needed > available:
        gib = 1024**3
        raise BundleError(
            f"{folder}: loading {size / 1e9:.2f} GB of files needs about {needed / gib:.1f} GiB "
            f"of memory and {available / gib:.1f} GiB is available; free memory, or load the "
            "bundle in parts (a bundle of only the new rows loads the same way)"
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


def write_rejects(path: Path, rejects_: list[Reject], bundle: Path | None = None) -> None:
    """The reject file (graph360.ingest.rejects), kept here for callers of the old name."""
    reject_file.write_rejects(path, rejects_, bundle)


# --- files that name no customer -----------------------------------------------------------


def _check_reference_files(
    raw: dict[str, RawFile], context: _Context, rejects: list[Reject]
) -> dict[str, pd.DataFrame]:
    checked: dict[str, pd.DataFrame] = {}

    def run(name: str, label: str, key: str, rules: Callable[[Checker], None]) -> None:
        if name not in raw:
            return
        frame, typed_rejects = validate.typed(raw[name])
        rejects.extend(typed_rejects)
        checker = Checker(raw[name], frame)
        validate.unique_keys(checker, [key])
        rules(checker)
        kept, more = checker.split()
        rejects.extend(more)
        checked[name] = kept
        context.keys[label] = set(kept[key])

    def departments_known(column: str) -> Callable[[Checker], None]:
        def rule(checker: Checker) -> None:
            values = checker.frame[column]
            validate.known(checker, column, context.known("Department", values), "department")

        return rule

    run("departments", "Department", "department_id", lambda c: None)
    run("accounts", "Account", "account_id", departments_known("department_id"))
    run("products", "Product", "product_id", lambda c: None)
    run("journeys", "Journey", "journey_id", lambda c: None)

    def step_rules(checker: Checker) -> None:
        journeys = checker.frame["journey_id"]
        validate.known(checker, "journey_id", context.known("Journey", journeys), "journey")
        owners = checker.frame["owner_department_ids"].fillna("").str.split(";")
        listed = owners.explode().str.strip()
        listed = listed[listed != ""]
        known = context.known("Department", listed)
        unknown = listed[~listed.isin(known)]
        if len(unknown):
            names = unknown.groupby(level=0).agg(", ".join)
            mask = checker.frame.index.isin(names.index)
            checker.fail(
                mask,
                "unknown department in owner_department_ids: "
                + names.reindex(checker.frame.index).fillna(""),
            )

    run("journey_steps", "JourneyStep", "step_id", step_rules)
    run("campaigns", "Campaign", "campaign_id", departments_known("department_id"))
    return checked


# --- customers and identity ----------------------------------------------------------------


def _check_customers(raw: RawFile, rejects: list[Reject], region: str) -> pd.DataFrame:
    frame, typed_rejects = validate.typed(raw)
    rejects.extend(typed_rejects)
    checker = Checker(raw, frame)
    validate.unique_keys(checker, ["source", "customer_id"])
    emails, email_reasons = identity.normalize_emails(frame["email"])
    phones, phone_reasons = identity.normalize_phones(frame["phone"], frame["country"], region)
    checker.fail(email_reasons.notna(), email_reasons.fillna(""))
    checker.fail(phone_reasons.notna(), phone_reasons.fillna(""))
    signed = frame["identified_as"]
    checker.fail(
        signed.notna() & ~signed.fillna("").str.match(r"[^:]+:.+$").astype(bool),
        validate.quoting("identified_as is 'source:customer_id', not ", "identified_as"),
    )
    checker.frame = frame.assign(
        record_key=frame["source"] + ":" + frame["customer_id"],
        email_norm=emails,
        phone_norm=phones,
        attributes=validate.attributes(frame, raw.extra_columns),
    )
    kept, more = checker.split()
    rejects.extend(more)
    return kept


@dataclass
class _People:
    """The resolved identities, and lookups from any customer reference to a customer id."""

    resolution: identity.Resolution
    existing_records: set[str]
    record_keys: pa.Array
    record_customers: pa.Array
    emails: pa.Array
    email_customers: pa.Array
    email_records: pa.Array  # the smallest record carrying each e-mail

    @property
    def blocked_emails(self) -> set[str]:
        return {key[len("email:") :] for key in self.resolution.blocked if key.startswith("email:")}

    @property
    def shared_emails(self) -> set[str]:
        """E-mails carried by records whose names disagree: they name nobody in particular."""
        return {k[len("email:") :] for k in self.resolution.conflicts if k.startswith("email:")}

    @classmethod
    def resolve(
        cls,
        store: GraphStore,
        customers: pd.DataFrame,
        max_shared: int,
        *,
        references: _References | None = None,
    ) -> _People:
        """Resolve ``customers`` against the records in the store: every one of them, or with
        ``references`` only the batch's identity neighbourhood (:func:`_neighbourhood`)."""
        named = ["name"] if "name" in customers else []
        columns = ["record_key", "email_norm", "phone_norm", "pseudo_id", "identified_as", *named]
        new = customers[columns].rename(columns={"email_norm": "email", "phone_norm": "phone"})
        if references is None:
            existing = store.frame("identity_records")
            batch = None
        else:
            existing = _neighbourhood(store, new, references)
            batch = set(new["record_key"])
        if existing.empty:
            existing = pd.DataFrame(columns=list(identity.IDENTITY_COLUMNS))
        apart = merges.never_merge_rules(store)
        resolution, records, owner_of = cls._resolved(existing, new, max_shared, batch, apart)
        if references is not None and resolution.moves:
            # Records of a stored customer in different clusters: the neighbourhood holds only
            # part of each customer, so resolve every customer it touched, whole.
            whole, placeholders = merges.closure(store, set(owner_of.values()), max_shared)
            placeholders.update(resolution.blocked)  # exact: all their carriers were there
            batch_rows = existing[existing["record_key"].isin(new["record_key"])]
            whole = pd.concat([whole, batch_rows], ignore_index=True)
            resolution, records, owner_of = cls._resolved(
                whole.drop_duplicates("record_key"), new, max_shared, batch, apart, placeholders
            )
        owners = resolution.table["customer"]
        emails = records.dropna(subset=["email"]).sort_values("record_key")
        emails = emails.drop_duplicates(["email"])
        refused = resolution.blocked.keys() | resolution.conflicts.keys()
        emails = emails[~("email:" + emails["email"]).isin(refused)]
        return cls(
            resolution,
            set(owner_of),
            record_keys=pa.array(owners.index.to_numpy(dtype=object), pa.string()),
            record_customers=pa.array(owners.to_numpy(), pa.string()),
            emails=pa.array(emails["email"], pa.string()),
            email_customers=pa.array(
                emails["record_key"].map(owners).to_numpy(dtype=object), pa.string()
            ),
            email_records=pa.array(emails["record_key"], pa.string()),
        )

    @staticmethod
    def _resolved(
        existing: pd.DataFrame,
        new: pd.DataFrame,
        max_shared: int,
        batch: set[str] | None,
        apart: list[tuple[frozenset[str], frozenset[str]]],
        placeholders: dict[str, int] | None = None,
    ) -> tuple[identity.Resolution, pd.DataFrame, dict[str, str]]:
        """Resolve the batch's records with the stored ones (``existing``)."""
        # A record in the batch is resolved by what it says now, not by what it said when it
        # was stored (a changed e-mail links by the new address, as a clean load would).
        stored = existing[~existing["record_key"].isin(new["record_key"])]
        columns = ["record_key", "email", "phone", "pseudo_id", "identified_as", "name"]
        parts = [part for part in (stored[columns], new) if not part.empty]
        records = pd.concat(parts, ignore_index=True) if parts else new[columns]
        records = records.astype({c: "object" for c in columns[1:]})
        records = records.where(records.notna(), None)
        owner_of = dict(zip(existing["record_key"], existing["customer_id"], strict=True))
        resolution = identity.resolve(
            records,
            owner_of,
            max_shared,
            batch=batch,
            joined=identity.joins(existing),
            apart=apart,
            placeholders=placeholders,
        )
        return resolution, records, owner_of

    def customer_ids(
        self, checker: Checker, source: str, customer_id: str, email: str | None
    ) -> tuple[pd.Series, pd.Series]:
        """Each row's customer id and the record its reference named (the record of that key,
        or the smallest one carrying that e-mail); rows that resolve to nobody are failed."""
        frame = checker.frame
        keys = text_array(frame[source])
        keys = pc.binary_join_element_wise(keys, text_array(frame[customer_id]), ":")
        found = pc.index_in(keys, value_set=self.record_keys)
        by_record = _answers(found, self.record_customers, frame.index)
        result = by_record
        record = _answers(found, self.record_keys, frame.index)
        has_key = pd.Series(keys.is_valid().to_numpy(zero_copy_only=False), index=frame.index)
        if email is None:
            checker.fail(
                has_key & by_record.isna(),
                lambda rows: (
                    "unknown customer " + validate.quoted(rows[source] + ":" + rows[customer_id])
                ),
            )
            return result, record
        given = frame[email].notna()
        if given.any():
            normalized, invalid = identity.normalize_emails(frame[email])
            found = pc.index_in(text_array(normalized), value_set=self.emails)
            result = by_record.fillna(_answers(found, self.email_customers, frame.index))
            record = record.fillna(_answers(found, self.email_records, frame.index))
            blocked = normalized.isin(self.blocked_emails).fillna(False).astype(bool)
            unresolved = by_record.isna() & normalized.notna() & result.isna()
            shared = normalized.isin(self.shared_emails).fillna(False).astype(bool)
            checker.fail(
                unresolved & blocked,
                lambda rows: "e-mail " + validate.quoted(rows[email]) + " is a blocked placeholder",
            )
            checker.fail(
                unresolved & shared,
                lambda rows: (
                    "e-mail " + validate.quoted(rows[email]) + " is shared by people whose names "
                    "disagree: give " + source + " and " + customer_id
                ),
            )
            checker.fail(
                unresolved & ~blocked & ~shared,
                validate.quoting("no customer with e-mail ", email),
            )
            checker.fail(given & normalized.isna() & result.isna(), invalid)
        checker.fail(
            ~has_key & ~given,
            f"no customer reference: give {source} and {customer_id}, or {email}",
        )
        checker.fail(
            has_key & by_record.isna() & ~given,
            lambda rows: (
                "unknown customer " + validate.quoted(rows[source] + ":" + rows[customer_id])
            ),
        )
        return result, record


@dataclass
class _References:
    """The customers a batch's linked rows refer to: record keys and normalised e-mails."""

    record_keys: set[str]
    emails: set[str]


#: Per linked file: (source column, customer id columns, e-mail column or None).
_CUSTOMER_REFERENCES = {
    "holdings": ("source", ("customer_id",), None),
    "relationships": ("source", ("from_customer_id", "to_customer_id"), None),
    "campaign_members": ("source", ("customer_id",), "email"),
    "touchpoints": ("source", ("customer_id",), "email"),
}


def _references(raw: dict[str, RawFile]) -> _References:
    """Every customer reference in the linked files, read as the checks will read them (text
    trimmed by the reader; e-mails normalised; an invalid one refers to nobody)."""
    keys: set[str] = set()
    emails: set[str] = set()
    for name, (source, id_columns, email) in _CUSTOMER_REFERENCES.items():
        if name not in raw:
            continue
        frame = raw[name].frame
        for column in id_columns:
            if source in frame and column in frame:
                pairs = frame[[source, column]].dropna()
                keys.update(pairs[source] + ":" + pairs[column])
        if email is not None and email in frame:
            normalized, _ = identity.normalize_emails(frame[email].dropna())
            emails.update(normalized.dropna())
    return _References(keys, emails)


def _neighbourhood(store: GraphStore, new: pd.DataFrame, references: _References) -> pd.DataFrame:
    """The stored records a batch's resolution depends on, with their customers.

    They are: the records with the batch's record keys, the keys its rows refer to and the
    records its sign-ins name (key lookups); then every record carrying an e-mail, phone or
    pseudo id that resolution will use for a batch record — its own, or for a record already
    stored the stored ones, since the stored version of a record is the one resolution uses —
    or an e-mail a row refers to.

    Why this gives the same customers, merges, new customer ids and blocked identifiers as
    resolving against every stored record. Every earlier load left the store resolved: two
    stored records linked by an unblocked identifier belong to one customer. So in the
    clusters over all records, a link between two stored records never changes whose customer
    anyone is; what can is a link through an identifier a batch record carries. For those
    identifiers the neighbourhood holds *every* carrier, so each one's carrier count — and so
    whether it is a blocked placeholder — is exact, and every stored customer a batch record
    links to is reached by one such link. The other identifiers of neighbourhood records are
    left out (set to null): only some of their carriers are here, and an identifier blocked in
    the store could look unblocked among a few and link two customers that are not one.
    Likewise an e-mail reference resolves to the customer of its carriers, all of them here.

    Not the same: the ``rule`` / ``via`` of a record that joined a customer names a link to a
    record of that customer, possibly another one than a walk over the whole customer would
    (``identity.resolve(batch=...)``); a resolution over everything also re-links stored records
    whose identifiers changed since their load (a full load does that); and the report's
    blocked identifiers are only those the batch touches.
    """
    signed_in_as = set(new["identified_as"].dropna())  # the records sign-ins name
    keys = sorted(set(new["record_key"]) | references.record_keys | signed_in_as)
    rows = [row for key in keys for row in store.query("identity_record", record_key=key)]
    by_key = pd.DataFrame(rows, columns=list(identity.IDENTITY_COLUMNS))
    stored = by_key[by_key["record_key"].isin(set(new["record_key"]))]
    # the sign-ins that named a new batch record before it came (their devices are followed
    # too); a stored record met the sign-ins naming it when they came, so it needs no probe
    fresh = set(new["record_key"]) - set(stored["record_key"])
    early = identifiers.sign_ins_naming(store, fresh).reindex(columns=by_key.columns)
    emails = set(new["email"].dropna()) | references.emails | set(stored["email"].dropna())
    phones = set(new["phone"].dropna()) | set(stored["phone"].dropna())
    devices = set(new["pseudo_id"].dropna()) | set(stored["pseudo_id"].dropna())
    devices |= set(early["pseudo_id"].dropna())
    found = [by_key, early]
    if emails or phones or devices:
        wanted = emails | phones | {identifiers.key_of("pseudo_id", d) for d in devices}
        carriers = identifiers.records_carrying(store, wanted)  # by index, no scan
        found.append(carriers.reindex(columns=by_key.columns))
    # the records that sign-ins met on a device name (the device's person)
    named = set(pd.concat(found[1:])["identified_as"].dropna()) - set(keys)
    rows = [row for key in sorted(named) for row in store.query("identity_record", record_key=key)]
    found.append(pd.DataFrame(rows, columns=by_key.columns))
    records = pd.concat(found, ignore_index=True).drop_duplicates("record_key")
    records = records.astype(object)
    for column, carried in (("email", emails), ("phone", phones), ("pseudo_id", devices)):
        records[column] = records[column].where(records[column].isin(carried), None)
    return records.reset_index(drop=True)


def _answers(positions: pa.Array, answers: pa.Array, index: pd.Index) -> pd.Series:
    """The answer at each position (``pc.index_in`` of the keys in what is known: one hash
    join, taken for every answer wanted); null where the key is unknown."""
    return text_series(pc.take(answers, positions), index)


def _check_customer_files(
    raw: dict[str, RawFile],
    context: _Context,
    people: _People,
    rejects: list[Reject],
    region: str,
) -> dict[str, pd.DataFrame]:
    checked: dict[str, pd.DataFrame] = {}

    def run(name: str, rules: Callable[[Checker], pd.DataFrame]) -> None:
        if name not in raw:
            return
        frame, typed_rejects = validate.typed(raw[name])
        rejects.extend(typed_rejects)
        checker = Checker(raw[name], frame)
        validate.unique_keys(checker, list(raw[name].spec.key))
        checker.frame = rules(checker)
        kept, more = checker.split()
        rejects.extend(more)
        checked[name] = kept

    def holdings(checker: Checker) -> pd.DataFrame:
        accounts = checker.frame["account_id"]
        validate.known(checker, "account_id", context.known("Account", accounts), "account")
        ids, records = people.customer_ids(checker, "source", "customer_id", None)
        return checker.frame.assign(__customer=ids, __record=records)

    def relationships(checker: Checker) -> pd.DataFrame:
        validate.one_of(checker, "kind", model.RELATIONSHIP_KINDS)
        weight = checker.frame["weight"]
        checker.fail(weight.notna() & (weight <= 0), "weight must be positive")
        source, source_record = people.customer_ids(checker, "source", "from_customer_id", None)
        target, target_record = people.customer_ids(checker, "source", "to_customer_id", None)
        checker.fail(
            source.notna() & (source == target),
            "relates a customer to themselves (both records are the same person)",
        )
        return checker.frame.assign(
            __from=source, __to=target, __from_record=source_record, __to_record=target_record
        )

    def members(checker: Checker) -> pd.DataFrame:
        campaigns = checker.frame["campaign_id"]
        validate.known(checker, "campaign_id", context.known("Campaign", campaigns), "campaign")
        ids, records = people.customer_ids(checker, "source", "customer_id", "email")
        return checker.frame.assign(__customer=ids, __record=records)

    def touchpoints(checker: Checker) -> pd.DataFrame:
        frame = checker.frame
        for column, label, what in (
            ("campaign_id", "Campaign", "campaign"),
            ("step_id", "JourneyStep", "journey step"),
            ("department_id", "Department", "department"),
            ("product_id", "Product", "product"),
        ):
            validate.known(checker, column, context.known(label, frame[column]), what)
        validate.ratings(checker)
        validate.in_range(checker, "sentiment", -1, 1)
        ids, records = people.customer_ids(checker, "source", "customer_id", "email")
        return frame.assign(
            __customer=ids,
            attributes=validate.attributes(frame, raw["touchpoints"].extra_columns),
            record_key=records,
        )

    def consents(checker: Checker) -> pd.DataFrame:
        validate.one_of(checker, "purpose", tuple(model.CONSENT_PURPOSES))
        validate.one_of(checker, "status", model.CONSENT_STATUSES)
        ids, _ = people.customer_ids(checker, "source", "customer_id", "email")
        return consent.stamp_keys(checker.frame.assign(__customer=ids))

    run("holdings", holdings)
    run("consents", consents)
    run("relationships", relationships)
    run("campaign_members", members)
    run("touchpoints", touchpoints)
    if "consents" in checked:  # one statement per person, purpose, channel and source
        checked["consents"] = consent.fold_statements(checked["consents"])
    return checked


def _stamp_identities(customers: pd.DataFrame, people: _People) -> pd.DataFrame:
    """Each record's customer and the rule and record that linked it (its IDENTIFIED_BY)."""
    found = people.resolution.table.reindex(customers["record_key"])
    return customers.assign(
        __customer=found["customer"].to_numpy(),
        __rule=found["rule"].to_numpy(),
        __via=found["via"].to_numpy(),
    )


def _stamp_successors(steps: pd.DataFrame) -> pd.DataFrame:
    """Each step's successor in its journey (by position, then id): its NEXT."""
    ordered = steps.sort_values(["journey_id", "position", "step_id"])
    following = ordered.groupby("journey_id")["step_id"].shift(-1)
    return steps.assign(__next=following.reindex(steps.index))


def _fold_customers(customers: pd.DataFrame, people: _People) -> pd.DataFrame:
    """One row per customer the batch's records name, each field from its records
    (``survivorship.fold``)."""
    columns = ["__customer", "record_key", "email_norm", "phone_norm", "pseudo_id"]
    columns += ["identified_as", *model.CUSTOMER_FIELDS]
    records = customers[columns].rename(
        columns={"__customer": "customer_id", "email_norm": "email", "phone_norm": "phone"}
    )
    return survivorship.fold(records, people.resolution.blocked.keys())
