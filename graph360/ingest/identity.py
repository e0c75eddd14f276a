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

**Links people made stay; separations people made hold.** A merge by hand or by the
probabilistic matcher (``graph360.merges``) is a link too (``joined``: its record and the
record it was joined to), kept by every later resolution. A never-merge rule (``apart``: two
groups of records) is never crossed: a cluster holding both sides is re-clustered by adding its
links one at a time (joined first, then e-mail, then phone, each by record key) and refusing
any that would put the two sides together.

Resolution is deterministic: clusters are the connected components of records linked by
unblocked identifiers; a new cluster's id is derived from its smallest record key; a cluster
that contains records already in the store keeps the id they had. When a new record bridges two
existing customers, the one with the smaller id survives and the other is folded into it.
**The order of arrival does not matter.** When records of one stored customer no longer form
one cluster (the identifier that linked them became a placeholder when more records came to
carry it, or a never-merge rule now separates them), the customer keeps the cluster holding the
record its id was derived from, and each other cluster becomes a customer of its own
(``splits``): the graph a batch load of every record would give, whatever order they came in.
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
    #: Stored records leaving their customer for another (a split): record key -> customer.
    moves: dict[str, str] = field(default_factory=dict)

    @cached_property
    def customer_of(self) -> dict[str, str]:
        return dict(zip(self.table.index, self.table["customer"], strict=True))

    @cached_property
    def rule_of(self) -> dict[str, str]:
        return dict(zip(self.table.index, self.table["rule"], strict=True))

    @cached_property
    def via_of(self) -> dict[str, str | None]:
        vias = self.table["via"]
        return {k: v if isinstance(v, str) else None for k, v in zip(vias.index, vias, strict=True)}

    def records_merged(self) -> int:
        """Records that joined a customer through an e-mail or phone link."""
        return int((self.table["rule"] != "source_id").sum())


def customer_id_for(anchor_record_key: str) -> str:
    """A stable customer id derived from the cluster's smallest record key."""
    return "C" + hashlib.sha1(anchor_record_key.encode("utf-8")).hexdigest()[:12].upper()


#: Rules of links made by a person or the matcher rather than by a shared identifier.
JOINING_RULES = ("manual", "probabilistic")
#: The columns of a stored record as identity resolution reads it (the identity_* queries).
IDENTITY_COLUMNS = ("record_key", "email", "phone", "name", "customer_id", "rule", "via")


def joins(records: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """The joins people and the matcher made among stored ``records`` (IDENTITY_COLUMNS):
    record -> (rule, the record it was joined to)."""
    if "rule" not in records:
        return {}
    made = records[records["rule"].isin(JOINING_RULES) & records["via"].notna()]
    return {
        str(k): (str(r), str(v))
        for k, r, v in zip(made["record_key"], made["rule"], made["via"], strict=True)
    }


def resolve(
    records: pd.DataFrame,
    existing: dict[str, str],
    max_shared: int = DEFAULT_MAX_SHARED,
    *,
    batch: set[str] | None = None,
    joined: dict[str, tuple[str, str]] | None = None,
    apart: list[tuple[frozenset[str], frozenset[str]]] | None = None,
    placeholders: dict[str, int] | None = None,
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

    ``joined`` maps a record to the (rule, record) a person or the matcher joined it to;
    ``apart`` lists never-merge rules (see the module docstring). Both only count for the
    records present. ``placeholders`` ("email:x" -> carriers) are blocked whatever number of
    their carriers is present: a resolution over part of the store knows them from the index.
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
        if placeholders:
            known = {k[len(rule) + 1 :]: n for k, n in placeholders.items() if k.startswith(rule)}
            forced = np.asarray(uniques.isin(list(known)), dtype=bool)
            sizes = np.where(forced, [known.get(u, 0) for u in uniques], sizes)
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
    row_of = pd.Index(keys)
    joins = _joined_links(joined or {}, row_of)
    links.insert(0, joins)
    rows = np.concatenate([a for a, _, _ in links] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    cols = np.concatenate([b for _, b, _ in links] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    clusters, component = connected_components(graph, directed=False)
    if apart:
        clusters, component = _keep_apart(clusters, component, rows, cols, apart, row_of)

    # Column-wise over every record; only multi-record clusters are walked one by one.
    _, first_row = np.unique(component, return_index=True)  # rows are sorted: smallest key
    owner_of_row = pd.Series(keys).map(existing)
    owners = pd.DataFrame({"cluster": component, "owner": owner_of_row})
    owners = owners.dropna().drop_duplicates()
    owners = _homes(owners, keys, component)
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
    owner_of_row = owner_of_row.astype(object)
    final = owner_of_row.map(merged).astype(object)  # each stored record's customer now
    final = final.where(final.notna(), owner_of_row)
    moved = np.flatnonzero((owner_of_row.notna() & (final != customers)).to_numpy())
    moves = {str(keys[i]): str(customers[i]) for i in moved}
    rules, vias = _explain(keys, component, records, blocked, batch, joined or {})
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
        moves=moves,
    )


def _joined_links(
    joined: dict[str, tuple[str, str]], row_of: pd.Index
) -> tuple[np.ndarray, np.ndarray, str]:
    """The links people and the matcher made, between records both present, as row pairs."""
    pairs = [(a, b) for a, (_, b) in joined.items()]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), "joined"
    sources = row_of.get_indexer([a for a, _ in pairs])
    targets = row_of.get_indexer([b for _, b in pairs])
    present = (sources >= 0) & (targets >= 0)
    return sources[present], targets[present], "joined"


def _keep_apart(
    clusters: int,
    component: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    apart: list[tuple[frozenset[str], frozenset[str]]],
    row_of: pd.Index,
) -> tuple[int, np.ndarray]:
    """Re-cluster every cluster that holds both sides of a never-merge rule.

    Its links (``rows``/``cols``, already in order of preference: joined, e-mail, phone, each
    by record key) are added one at a time; a link that would put one rule's two sides in one
    cluster is refused. The part holding the cluster's smallest record keeps its number.
    """
    sides: dict[int, set[tuple[int, int]]] = defaultdict(set)  # row -> (rule, side) it is on
    for number, (a, b) in enumerate(apart):
        for side, members in enumerate((a, b)):
            for row in row_of.get_indexer(sorted(members)):
                if row >= 0:
                    sides[int(row)].add((number, side))
    crossed = set()
    for a, b in apart:
        clusters_a = {component[r] for r in row_of.get_indexer(sorted(a)) if r >= 0}
        clusters_b = {component[r] for r in row_of.get_indexer(sorted(b)) if r >= 0}
        crossed |= clusters_a & clusters_b
    if not crossed:
        return clusters, component
    component = component.copy()
    inside = np.isin(component[rows], list(crossed))
    parent: dict[int, int] = {}
    tags: dict[int, set[tuple[int, int]]] = {}

    def root(row: int) -> int:
        parent.setdefault(row, row)
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    for a, b in zip(rows[inside].tolist(), cols[inside].tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        ta = tags.setdefault(ra, set(sides.get(ra, ())))
        tb = tags.setdefault(rb, set(sides.get(rb, ())))
        if any((rule, 1 - side) in tb for rule, side in ta):
            continue  # the two sides of a never-merge rule would meet
        small, large = sorted((ra, rb))
        parent[large] = small
        tags[small] = ta | tb
    for cluster in sorted(crossed):
        members = np.flatnonzero(component == cluster)
        parts: dict[int, list[int]] = defaultdict(list)
        for row in members.tolist():
            parts[root(row)].append(row)
        for part in sorted(parts.values(), key=min)[1:]:  # the first keeps the number
            component[part] = clusters
            clusters += 1
    return clusters, component


def _homes(owners: pd.DataFrame, keys: np.ndarray, component: np.ndarray) -> pd.DataFrame:
    """Each stored customer's (``owner``) clusters reduced to its home: the cluster holding the
    record its id was derived from, else the one with the smallest record. A customer in one
    cluster (the common case) is left as it is; its other clusters become customers of their
    own (a split)."""
    spread = owners["owner"].duplicated(keep=False)
    if not spread.any():
        return owners
    homes = []
    for owner, places in owners[spread].groupby("owner"):
        clusters = places["cluster"].to_numpy()
        rows = np.flatnonzero(np.isin(component, clusters))
        anchor = [r for r in rows.tolist() if customer_id_for(str(keys[r])) == owner]
        home = component[anchor[0]] if anchor else component[rows.min()]
        homes.append({"cluster": home, "owner": owner})
    return pd.concat([owners[~spread], pd.DataFrame(homes)], ignore_index=True)


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
    batch: set[str] | None,
    joined: dict[str, tuple[str, str]],
) -> tuple[np.ndarray, np.ndarray]:
    """Walk each multi-record cluster from its anchor; each record's rule is the link found
    (a shared identifier, or failing that the join a person or the matcher made).

    The anchor is the smallest record key, or with ``batch`` the smallest outside it. A record
    alone in its cluster is its own anchor: ``source_id``, through nobody.
    """
    rule_of = np.full(len(keys), "source_id", dtype=object)  # by row, as ``keys``
    via_of = np.full(len(keys), None, dtype=object)
    emails = records["email"].to_numpy(dtype=object)
    phones = records["phone"].to_numpy(dtype=object)
    row_of = {str(k): i for i, k in enumerate(keys)} if joined else {}
    partners: dict[int, list[tuple[int, str]]] = defaultdict(list)  # row -> (row, rule)
    for record, (rule, other) in joined.items():
        a, b = row_of.get(record), row_of.get(other)
        if a is not None and b is not None:
            partners[a].append((b, rule))
            partners[b].append((a, rule))
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
        members_set = set(member_list)
        seen, queue = {anchor}, deque([anchor])
        while True:
            while queue:
                current = queue.popleft()
                for rule, value in (("email", emails[current]), ("phone", phones[current])):
                    for other in by_value.get((rule, value), ()):
                        if other not in seen:
                            seen.add(other)
                            rule_of[other], via_of[other] = rule, keys[current]
                            queue.append(other)
            # identifiers reached all they can: cross one join a person or the matcher made
            crossing = next(
                (
                    (current, other, rule)
                    for current in sorted(seen)
                    for other, rule in partners.get(current, ())
                    if other not in seen and other in members_set
                ),
                None,
            )
            if crossing is None:
                break
            current, other, rule = crossing
            seen.add(other)
            rule_of[other], via_of[other] = rule, keys[current]
            queue.append(other)
    return rule_of, via_of
