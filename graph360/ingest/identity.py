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

from graph360 import arrays
from graph360.contacts import DEFAULT_REGION, normalize_emails, normalize_phones
from graph360.ingest.links import (
    agreeing_links,
    joined_links,
    keep_apart,
    one_person_devices,
    other_pairs,
    stars,
    visitors,
)

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
    pairs = other_pairs(joined or {}, records)
    links.append(joined_links(pairs, row_of))
    for rule in ("email", "phone", "pseudo_id"):
        sources, targets, codes, uniques = stars(
            records[rule], rule, max_shared, placeholders, blocked
        )
        if rule == "pseudo_id":
            sources, targets = one_person_devices(
                sources, targets, codes, uniques, links, records, owner_of_row, conflicts
            )
        elif names is not None:
            sources, targets = agreeing_links(
                sources, targets, codes, names, keys, f"{rule}:", uniques, conflicts
            )
        links.append((sources, targets, rule))
    rows = np.concatenate([a for a, _, _ in links] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    cols = np.concatenate([b for _, b, _ in links] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    clusters, component = connected_components(graph, directed=False)
    if apart:
        clusters, component = keep_apart(clusters, component, rows, cols, apart, row_of)

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
    known_owners = owners.loc[~owners["device"], "owner"].dropna().to_numpy(dtype=object)
    owners = owners.dropna(subset=["owner"]).drop_duplicates(["cluster", "owner"])
    owners = _homes(owners[["cluster", "owner"]], keys, component)
    owners = owners.assign(rank=~arrays.isin(owners["owner"].to_numpy(dtype=object), known_owners))
    known = owners.sort_values(["cluster", "rank", "owner"]).groupby("cluster")["owner"].first()
    # Where only a device's customer was stored, a known record arriving names the customer
    # (the id a load of every record at once gives), and the device's customer folds into it.
    device_only = ~arrays.isin(known.to_numpy(dtype=object), known_owners)
    known = known[~(device_only & arrays.isin(known.index.to_numpy(), component[~device]))]
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
    named_clusters = arrays.unique(component[~device])
    joining = visitor & arrays.isin(component, named_clusters)
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
    rows = np.flatnonzero(arrays.isin(component, places["cluster"].to_numpy()))
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
