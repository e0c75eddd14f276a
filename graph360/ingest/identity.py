"""Identity resolution: source records of one person become one Customer, every merge explained.

Rules (DESIGN.md §5), applied in this order of preference when explaining a link:

1. ``source_id`` — the same (source, customer_id) is the same record;
2. ``email``     — the same normalised e-mail address (trimmed, lower-cased);
3. ``phone``     — the same phone number in E.164;
4. ``pseudo_id`` — the same device or cookie id (GA4's ``user_pseudo_id``, Segment's
   ``anonymousId``), exact.

**Anonymous visitors become customers (``identify``).** A record that carries only a pseudo id
is a *visitor* (:func:`visitors`): a device's history before anyone signed in. A record may
also name the record it signed in as (``identified_as``: "source:customer_id"), a link like a
join, rule ``identify``. A visitor and a sign-in record sharing the pseudo id form one
cluster, so the device's history joins the customer, in a load, a later load or a live event
alike (``Resolution.identified`` lists the visitors that joined one, for the merge log).
**A shared device links nobody**: a pseudo id whose carriers are known as two different people
(by the other links: e-mail, phone, sign-ins, joins, one stored customer) is not followed and is
reported as a conflict; its visitor history stays with neither. Where a device's customer (its
visits and sign-ins, nothing else) and a known one meet, the known one's id survives; where
the known record is new (a sign-in came before the record it names), the id is the one a
load of every record at once gives, and the device's customer folds into it.

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
from collections.abc import Collection
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
    #: Visitor records that joined a known customer here (``identify``): record key ->
    #: (the customer now, the customer it was in before, None for a new record).
    identified: dict[str, tuple[str, str | None]] = field(default_factory=dict)

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
IDENTITY_COLUMNS = (
    "record_key",
    "email",
    "phone",
    "pseudo_id",
    "identified_as",
    "name",
    "customer_id",
    "rule",
    "via",
)
#: The identifier kinds, in order of preference when explaining a link.
KINDS = ("email", "phone", "pseudo_id")
#: The rule of a sign-in's link to the record it signed in as (``identified_as``).
IDENTIFY = "identify"


def visitors(records: pd.DataFrame) -> np.ndarray:
    """Which ``records`` are anonymous visitors: a pseudo id and nothing that names a person
    (no e-mail, phone or sign-in). Their fields come last in survivorship (a GA4 city guessed
    from an IP address is not the customer's address) and their joining a customer is logged."""
    if "pseudo_id" not in records:
        return np.zeros(len(records), dtype=bool)
    named = records["email"].notna() | records["phone"].notna()
    if "identified_as" in records:
        named |= records["identified_as"].notna()
    return (records["pseudo_id"].notna() & ~named).to_numpy(dtype=bool)


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
    optionally, name, which lets conflicting evidence stop a link, and pseudo_id and
    identified_as, a device's id and the record a sign-in names).

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
    for column in ("pseudo_id", "identified_as"):
        if column not in records:
            records = records.assign(**{column: None})
    keys = records["record_key"].to_numpy(dtype=object)
    links: list[tuple[np.ndarray, np.ndarray, str]] = []
    blocked: dict[str, int] = {}
    conflicts: dict[str, list[list[str]]] = {}
    names = records["name"].to_numpy(dtype=object) if "name" in records else None
    n = len(records)
    row_of = pd.Index(keys)
    owner_of_row = pd.Series(keys).map(existing)
    pairs = _pairs(joined or {}, records)
    links.append(_joined_links(pairs, row_of))
    for rule in ("email", "phone", "pseudo_id"):
        sources, targets, codes, uniques = _stars(
            records[rule], rule, max_shared, placeholders, blocked
        )
        if rule == "pseudo_id":
            sources, targets = _one_person_devices(
                sources, targets, codes, uniques, links, records, owner_of_row, conflicts
            )
        elif names is not None:
            sources, targets = _agreeing_links(
                sources, targets, codes, names, keys, f"{rule}:", uniques, conflicts
            )
        links.append((sources, targets, rule))
    rows = np.concatenate([a for a, _, _ in links] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    cols = np.concatenate([b for _, b, _ in links] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    clusters, component = connected_components(graph, directed=False)
    if apart:
        clusters, component = _keep_apart(clusters, component, rows, cols, apart, row_of)

    # Column-wise over every record; only multi-record clusters are walked one by one.
    # A new customer's id comes from its smallest record that is not a device's (a visitor or
    # a sign-in), so a person's id does not depend on whether a device came first.
    device = (
        records["pseudo_id"].notna().to_numpy()
        & ~(records["email"].notna() | records["phone"].notna()).to_numpy()
    )
    order = np.lexsort((np.arange(n), device, component))  # rows are sorted: smallest key
    first_row = order[np.unique(component[order], return_index=True)[1]]
    visitor = visitors(records)
    owners = pd.DataFrame({"cluster": component, "owner": owner_of_row, "device": device})
    # A customer of a device's records only (its visits and sign-ins, stored before the
    # record they name) gives way to a known one where they meet: the batch's id survives.
    known_owners = set(owners.loc[~owners["device"], "owner"].dropna())
    owners = owners.dropna(subset=["owner"]).drop_duplicates(["cluster", "owner"])
    owners = _homes(owners[["cluster", "owner"]], keys, component)
    owners = owners.assign(rank=~owners["owner"].isin(known_owners))
    known = owners.sort_values(["cluster", "rank", "owner"]).groupby("cluster")["owner"].first()
    # Where only a device's customer was stored, a known record arriving names the customer
    # (the id a load of every record at once gives), and the device's customer folds into it.
    device_only = ~known.isin(known_owners).to_numpy()
    known = known[~(device_only & np.isin(known.index.to_numpy(), component[~device]))]
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
    refused = blocked.keys() | {k for k in conflicts if k.startswith("pseudo_id:")}
    rules, vias = _explain(keys, component, records, refused, batch, pairs)
    # Visitors now in a cluster with a known record (not a device's: a sign-in alone names a
    # record not here yet), that were not in that customer before.
    named_clusters = np.unique(component[~device])
    joining = visitor & np.isin(component, named_clusters)
    joining &= (owner_of_row.isna() | (owner_of_row != customers)).to_numpy(dtype=bool)
    identified = {
        str(keys[i]): (str(customers[i]), None if pd.isna(owner_of_row[i]) else owner_of_row[i])
        for i in np.flatnonzero(joining)
    }
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
        identified=identified,
    )


def _pairs(joined: dict[str, tuple[str, str]], records: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Every link made other than by a shared identifier, as (record, rule, other record): the
    joins people and the matcher made, and each sign-in's ``identified_as``."""
    pairs = [(a, rule, b) for a, (rule, b) in sorted(joined.items())]
    signed = records.dropna(subset=["identified_as"])
    pairs += [
        (str(a), IDENTIFY, str(b))
        for a, b in zip(signed["record_key"], signed["identified_as"], strict=True)
        if a != b
    ]
    return pairs


def _stars(
    values: pd.Series,
    rule: str,
    max_shared: int,
    placeholders: dict[str, int] | None,
    blocked: dict[str, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index]:
    """The links of one identifier kind: each carrier to the identifier's smallest record (a
    star), placeholders left out and added to ``blocked``. Also each row's identifier code
    (-1 where it has none) and the identifiers."""
    codes, uniques = pd.factorize(values)  # -1 where missing; one code per identifier
    sizes = np.bincount(codes[codes >= 0], minlength=len(uniques))
    if placeholders:
        prefix = f"{rule}:"
        known = {k[len(prefix) :]: n for k, n in placeholders.items() if k.startswith(prefix)}
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
    return firsts[mask], members[mask], codes, uniques


def _one_person_devices(
    sources: np.ndarray,
    targets: np.ndarray,
    codes: np.ndarray,
    uniques: pd.Index,
    links: list[tuple[np.ndarray, np.ndarray, str]],
    records: pd.DataFrame,
    owner_of_row: pd.Series,
    conflicts: dict[str, list[list[str]]],
) -> tuple[np.ndarray, np.ndarray]:
    """The pseudo-id links without those of a shared device: a pseudo id whose carriers that
    name somebody (an e-mail, phone or sign-in, or a link to another record) fall in two or
    more people by every other link (and by the customer each stored one belongs to). Segment
    would merge those people through the device; here the device joins neither, reported in
    ``conflicts`` ("pseudo_id:…" -> the carriers of each person, then the visitors)."""
    if len(targets) == 0:
        return sources, targets
    n = len(records)
    rows = [a for a, _, _ in links]
    cols = [b for _, b, _ in links]
    stored = owner_of_row.notna().to_numpy()
    if stored.any():  # records of one stored customer are one person
        owner_codes, _ = pd.factorize(owner_of_row)
        present = np.flatnonzero(stored)
        _, first = np.unique(owner_codes[present], return_index=True)
        head = np.zeros(owner_codes.max() + 1, dtype=np.int64)
        head[owner_codes[present][first]] = present[first]
        rows.append(head[owner_codes[present]])
        cols.append(present)
    a = np.concatenate([*rows, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    b = np.concatenate([*cols, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    _, person = connected_components(
        coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False
    )
    linked = np.bincount(person, minlength=n)[person] > 1
    naming = ~visitors(records) | linked
    carriers = np.unique(np.concatenate([sources, targets]))
    known = carriers[naming[carriers]]
    people = pd.DataFrame({"code": codes[known], "person": person[known]}).drop_duplicates()
    counts = people.groupby("code")["person"].nunique()
    shared = counts[counts > 1].index.to_numpy(dtype=np.int64)
    if len(shared) == 0:
        return sources, targets
    keys = records["record_key"].to_numpy(dtype=object)
    for code in shared.tolist():
        members = np.flatnonzero(codes == code)
        groups: dict[int, list[str]] = defaultdict(list)
        for row in members.tolist():
            groups[int(person[row]) if naming[row] else n].append(str(keys[row]))
        ordered = sorted((g for p, g in groups.items() if p != n), key=min)
        conflicts[f"pseudo_id:{uniques[code]}"] = ordered + ([groups[n]] if n in groups else [])
    keep = ~np.isin(codes[targets], shared)
    return sources[keep], targets[keep]


def _joined_links(
    pairs: list[tuple[str, str, str]], row_of: pd.Index
) -> tuple[np.ndarray, np.ndarray, str]:
    """The links people, the matcher and sign-ins made, between records both present, as
    row pairs."""
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), "joined"
    sources = row_of.get_indexer([a for a, _, _ in pairs])
    targets = row_of.get_indexer([b for _, _, b in pairs])
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
    places = owners[spread]
    # One pass over the records for all split customers (a nightly delta splits thousands).
    rows = np.flatnonzero(np.isin(component, places["cluster"].to_numpy()))
    derived = {customer_id_for(str(keys[r])): component[r] for r in rows.tolist()}
    smallest = pd.Series(rows).groupby(component[rows]).min()  # cluster -> its first record
    homes = []
    for owner, clusters in places.groupby("owner")["cluster"]:
        mine = clusters.to_numpy()
        home = derived.get(owner)
        if home is None or home not in mine:
            home = mine[np.argmin(smallest.loc[mine].to_numpy())]
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
    refused: Collection[str],
    batch: set[str] | None,
    pairs: list[tuple[str, str, str]],
) -> tuple[np.ndarray, np.ndarray]:
    """Walk each multi-record cluster from its anchor; each record's rule is the link found
    (a shared identifier, or failing that a join or sign-in).

    The anchor is the smallest record key, or with ``batch`` the smallest outside it. A record
    alone in its cluster is its own anchor: ``source_id``, through nobody. ``refused``
    identifiers ("email:…") link nobody.
    """
    rule_of = np.full(len(keys), "source_id", dtype=object)  # by row, as ``keys``
    via_of = np.full(len(keys), None, dtype=object)
    values = {kind: records[kind].to_numpy(dtype=object) for kind in KINDS}
    row_of = {str(k): i for i, k in enumerate(keys)} if pairs else {}
    partners: dict[int, list[tuple[int, str]]] = defaultdict(list)  # row -> (row, rule)
    for record, rule, other in pairs:
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
            for rule in KINDS:
                value = values[rule][i]
                if isinstance(value, str) and f"{rule}:{value}" not in refused:
                    by_value[(rule, value)].append(i)
        members_set = set(member_list)
        seen, queue = {anchor}, deque([anchor])
        while True:
            while queue:
                current = queue.popleft()
                for rule in KINDS:
                    for other in by_value.get((rule, values[rule][current]), ()):
                        if other not in seen:
                            seen.add(other)
                            rule_of[other], via_of[other] = rule, keys[current]
                            queue.append(other)
            # identifiers reached all they can: cross one join or sign-in
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
