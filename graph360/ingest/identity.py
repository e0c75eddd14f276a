"""Identity resolution: source records of one person become one Customer, every merge explained.

Rules (DESIGN.md §5), applied in this order of preference when explaining a link:

1. ``source_id`` — the same (source, customer_id) is the same record;
2. ``email``     — the same normalised e-mail address (trimmed, lower-cased);
3. ``phone``     — the same phone number in E.164.

An identifier carried by more than ``max_shared`` distinct records is a placeholder
(``test@example.com``, ``0000 000000``): it is blocked, reported, and links nobody.

**Conflicting evidence stops a link.** Two records sharing an e-mail or phone are not linked
through it when their first names clearly disagree: both given, neither an initial or a
shortening (``Dan``) of the other, and more than one typing slip apart (``Jon``/``John`` is a
slip, ``Hannah``/``Daniel`` two people). A family's landline or a couple's shared address is
evidence of a household, not of one person. Such an identifier splits its records into groups
of agreeing names, each linked within itself; the disagreement is reported (``conflicts``). A
record linked by other evidence still joins (only this link is refused).

Resolution is deterministic: clusters are the connected components of records linked by
unblocked identifiers; a new cluster's id is derived from its smallest record key; a cluster
that contains records already in the store keeps the id they had. When a new record bridges two
existing customers, the one with the smaller id survives and the other is folded into it.
Each record's ``IDENTIFIED_BY`` says which rule linked it and through which record (``via``),
found by a breadth-first walk from the cluster's anchor preferring e-mail links over phone links.

The identifiers are normalised first (``graph360.contacts``: e-mails lower-cased and checked,
phones in E.164).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graph360.contacts import DEFAULT_REGION, normalize_emails, normalize_phones

DEFAULT_MAX_SHARED = 8
#: The normalisers are graph360.contacts'; they are named here too because every loader step
#: that resolves identities normalises first.
__all__ = [
    "DEFAULT_REGION",
    "Resolution",
    "customer_id_for",
    "normalize_emails",
    "normalize_phones",
    "resolve",
]
#: Words before a first name that are not one.
_TITLES = r"^\W*(?:(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|rev)\b\W*)+"


# --- resolving -----------------------------------------------------------------------------


@dataclass
class Resolution:
    """The outcome: which customer each record belongs to, and why."""

    #: One row per record (index record_key): its ``customer``, the ``rule`` that linked it
    #: and the record it was linked ``via`` (None for a cluster's anchor).
    table: pd.DataFrame
    blocked: dict[str, int] = field(default_factory=dict)  # "email:x" -> records carrying it
    #: Identifiers not followed between records whose names disagree: "phone:+44…" -> the
    #: record keys of each group of agreeing names.
    conflicts: dict[str, list[list[str]]] = field(default_factory=dict)
    merged_customers: dict[str, str] = field(default_factory=dict)  # old id -> survivor id
    new_customers: set[str] = field(default_factory=set)

    @cached_property
    def customer_of(self) -> dict[str, str]:
        return dict(zip(self.table.index, self.table["customer"], strict=True))

    @cached_property
    def rule_of(self) -> dict[str, str]:
        return dict(zip(self.table.index, self.table["rule"], strict=True))

    @cached_property
    def via_of(self) -> dict[str, str | None]:
        return dict(zip(self.table.index, self.table["via"], strict=True))

    def records_merged(self) -> int:
        """Records that joined a customer through an e-mail or phone link."""
        return int((self.table["rule"] != "source_id").sum())


def customer_id_for(anchor_record_key: str) -> str:
    """A stable customer id derived from the cluster's smallest record key."""
    return "C" + hashlib.sha1(anchor_record_key.encode("utf-8")).hexdigest()[:12].upper()


def resolve(
    records: pd.DataFrame,
    existing: dict[str, str],
    max_shared: int = DEFAULT_MAX_SHARED,
    *,
    batch: set[str] | None = None,
) -> Resolution:
    """Cluster ``records`` (columns record_key, email, phone — already normalised — and,
    optionally, name, which lets conflicting evidence stop a link).

    ``existing`` maps record keys already in the store to their customer id; such records must
    be included in ``records`` so that a new record can join (or bridge) their customers.

    ``batch`` (the record keys being written now) moves where each explanation starts: from the
    cluster's smallest record *outside* the batch, when it has one. A resolution over a record's
    identity neighbourhood (see ``graph360.ingest.load``) needs that: there the cluster is only
    the part of the customer the new record touches, and walking from the new record itself
    would explain its joining as ``source_id``. Without ``batch`` the walk starts at the
    smallest record, as it always has for whole-store resolution.
    """
    records = records.drop_duplicates("record_key")
    by_key = pc.sort_indices(pa.array(records["record_key"], from_pandas=True, type=pa.string()))
    records = records.take(by_key.to_numpy()).reset_index(drop=True)
    keys = records["record_key"].to_numpy(dtype=object)
    links: list[tuple[np.ndarray, np.ndarray, str]] = []
    blocked: dict[str, int] = {}
    conflicts: dict[str, list[list[str]]] = {}
    names = records["name"].to_numpy(dtype=object) if "name" in records else None
    for rule in ("email", "phone"):
        values = records[rule]
        codes, uniques = pd.factorize(values)  # -1 where missing; one code per identifier
        sizes = np.bincount(codes[codes >= 0], minlength=len(uniques))
        for code in np.flatnonzero(sizes > max_shared):
            blocked[f"{rule}:{uniques[code]}"] = int(sizes[code])
        members = np.flatnonzero(codes >= 0)
        members = members[sizes[codes[members]] <= max_shared]
        # rows are sorted by record key, so an identifier's first row is its smallest record
        _, first_row = np.unique(codes[members], return_index=True)
        first_of_code = np.zeros(len(uniques), dtype=np.int64)
        first_of_code[codes[members][first_row]] = members[first_row]
        firsts = first_of_code[codes[members]]
        mask = firsts != members
        sources, targets = firsts[mask], members[mask]
        if names is not None:
            sources, targets = _agreeing_links(
                sources, targets, codes, names, keys, f"{rule}:", uniques, conflicts
            )
        links.append((sources, targets, rule))
    n = len(records)
    rows = np.concatenate([a for a, _, _ in links] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    cols = np.concatenate([b for _, b, _ in links] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    clusters, component = connected_components(graph, directed=False)

    # Column-wise over every record; only multi-record clusters are walked one by one.
    _, first_row = np.unique(component, return_index=True)  # rows are sorted: smallest key
    owners = pd.DataFrame({"cluster": component, "owner": pd.Series(keys).map(existing)})
    owners = owners.dropna().drop_duplicates()
    known = owners.groupby("cluster")["owner"].min()
    survivor = np.empty(clusters, dtype=object)
    is_known = np.zeros(clusters, dtype=bool)
    is_known[known.index.to_numpy(dtype=np.int64)] = True
    fresh = np.flatnonzero(~is_known)
    survivor[fresh] = [customer_id_for(key) for key in keys[first_row[fresh]]]
    survivor[known.index.to_numpy(dtype=np.int64)] = known.to_numpy()
    owners = owners[owners["owner"].to_numpy() != survivor[owners["cluster"].to_numpy()]]
    merged = dict(zip(owners["owner"], survivor[owners["cluster"].to_numpy()], strict=True))
    customers = survivor[component]
    rules, vias = _explain(keys, component, records, blocked, batch)
    table = pd.DataFrame(
        {"customer": customers, "rule": rules, "via": vias},
        index=pd.Index(keys, name="record_key"),
    )
    return Resolution(
        table,
        blocked=blocked,
        conflicts=conflicts,
        merged_customers=merged,
        new_customers=set(survivor[fresh]),
    )


def first_names(names: pd.Series) -> np.ndarray:
    """Each name's first word as compared: lower case, accents and punctuation gone, None
    when there is none."""
    plain = (
        names.astype("string")
        .str.normalize("NFKD")
        .str.encode("ascii", "ignore")
        .str.decode("ascii")
        .str.lower()
        .str.replace(_TITLES, "", regex=True)
        .str.extract(r"([a-z]+)", expand=False)
    )
    return plain.astype(object).where(plain.notna(), None).to_numpy(dtype=object)


def names_agree(a: str | None, b: str | None) -> bool:
    """Whether two first names may be one person's (see the module docstring)."""
    if a is None or b is None or a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) == 1:  # an initial
        return long.startswith(short)
    if len(short) >= 3 and long.startswith(short):  # a shortening: Dan, Sam, Chris
        return True
    return _one_slip(a, b)


def _one_slip(a: str, b: str) -> bool:
    """At most one insertion, deletion, substitution or swap of neighbours apart."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) <= 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = sorted((a, b), key=len)
    i = next((i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]


def _agreeing_links(
    sources: np.ndarray,
    targets: np.ndarray,
    codes: np.ndarray,
    names: np.ndarray,
    keys: np.ndarray,
    prefix: str,
    uniques: pd.Index,
    conflicts: dict[str, list[list[str]]],
) -> tuple[np.ndarray, np.ndarray]:
    """The star links of one identifier kind without those between disagreeing names.

    Only the records that share an identifier have their first names read (``names`` are the
    names as loaded, by row). The common case, first names equal or missing, is decided
    column-wise; the few pairs left are compared one by one, and an identifier with any
    disagreement is split into groups of agreeing names (each record joins the first group
    whose first record it agrees with).
    """
    if len(targets) == 0:
        return sources, targets
    involved = np.unique(np.concatenate([sources, targets]))
    first = np.full(len(names), None, dtype=object)
    first[involved] = first_names(pd.Series(names[involved]))
    names = first
    a, b = names[sources], names[targets]
    unsure = np.flatnonzero((a != b) & pd.notna(a) & pd.notna(b))
    disagree = [i for i in unsure if not names_agree(a[i], b[i])]
    if not disagree:
        return sources, targets
    split_codes = np.unique(codes[targets[disagree]])
    keep = ~np.isin(codes[targets], split_codes)
    # Each split identifier's records (its star's centre and leaves), by identifier, in order.
    centres = sources[~keep]
    leaves = targets[~keep]
    rows = np.concatenate([np.unique(centres), leaves])
    order = np.lexsort((rows, codes[rows]))
    rows = rows[order]
    bounds = np.flatnonzero(np.diff(codes[rows])) + 1
    extra_sources: list[int] = []
    extra_targets: list[int] = []
    for members in np.split(rows, bounds):
        groups: list[list[int]] = []
        for row in members.tolist():  # in record-key order
            home = next((g for g in groups if names_agree(names[g[0]], names[row])), None)
            if home is None:
                groups.append([row])
            else:
                home.append(row)
                extra_sources.append(home[0])
                extra_targets.append(row)
        if len(groups) > 1:
            code = codes[members[0]]
            conflicts[f"{prefix}{uniques[code]}"] = [[str(keys[r]) for r in g] for g in groups]
    return (
        np.concatenate([sources[keep], np.asarray(extra_sources, dtype=np.int64)]),
        np.concatenate([targets[keep], np.asarray(extra_targets, dtype=np.int64)]),
    )


def _explain(
    keys: np.ndarray,
    component: np.ndarray,
    records: pd.DataFrame,
    blocked: dict[str, int],
    batch: set[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Walk each multi-record cluster from its anchor; each record's rule is the link found.

    The anchor is the smallest record key, or with ``batch`` the smallest outside it. A record
    alone in its cluster is its own anchor: ``source_id``, through nobody.
    """
    rule_of = np.full(len(keys), "source_id", dtype=object)  # by row, as ``keys``
    via_of = np.full(len(keys), None, dtype=object)
    emails = records["email"].to_numpy(dtype=object)
    phones = records["phone"].to_numpy(dtype=object)
    shared = np.flatnonzero(np.bincount(component)[component] > 1)
    shared = shared[np.argsort(component[shared], kind="stable")]  # by cluster, then by key
    bounds = np.flatnonzero(np.diff(component[shared])) + 1
    for members in np.split(shared, bounds) if len(shared) else ():
        member_list = members.tolist()
        outside = [i for i in member_list if keys[i] not in batch] if batch else []
        anchor = outside[0] if outside else member_list[0]
        by_value: dict[tuple[str, object], list[int]] = defaultdict(list)
        for i in member_list:
            for rule, value in (("email", emails[i]), ("phone", phones[i])):
                if isinstance(value, str) and f"{rule}:{value}" not in blocked:
                    by_value[(rule, value)].append(i)
        seen, queue = {anchor}, deque([anchor])
        while queue:
            current = queue.popleft()
            for rule, value in (("email", emails[current]), ("phone", phones[current])):
                for other in by_value.get((rule, value), ()):
                    if other not in seen:
                        seen.add(other)
                        rule_of[other], via_of[other] = rule, keys[current]
                        queue.append(other)
    return rule_of, via_of
