"""How source records link to each other before they are clustered: records sharing an
identifier (a star per e-mail, phone or device, placeholders blocked), a device's records when
they are one person's, links made by hand or by the matcher, never-merge rules that keep
clusters apart, and whether two first names may be one person's."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graph360 import arrays

#: Words before a first name that are not one.
_TITLES = r"^\W*(?:(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|rev)\b\W*)+"
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


def other_pairs(
    joined: dict[str, tuple[str, str]], records: pd.DataFrame
) -> list[tuple[str, str, str]]:
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


def stars(
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


def one_person_devices(
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
    carriers = arrays.unique(np.concatenate([sources, targets]))
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
    keep = ~arrays.isin(codes[targets], shared)
    return sources[keep], targets[keep]


def joined_links(
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


def keep_apart(
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
    inside = arrays.isin(component[rows], np.fromiter(crossed, dtype=component.dtype))
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


def agreeing_links(
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
    involved = arrays.unique(np.concatenate([sources, targets]))
    first = np.full(len(names), None, dtype=object)
    first[involved] = first_names(pd.Series(names[involved]))
    names = first
    a, b = names[sources], names[targets]
    unsure = np.flatnonzero((a != b) & pd.notna(a) & pd.notna(b))
    disagree = [i for i in unsure if not names_agree(a[i], b[i])]
    if not disagree:
        return sources, targets
    split_codes = arrays.unique(codes[targets[disagree]])
    keep = ~arrays.isin(codes[targets], split_codes)
    # Each split identifier's records (its star's centre and leaves), by identifier, in order.
    centres = sources[~keep]
    leaves = targets[~keep]
    rows = np.concatenate([arrays.unique(centres), leaves])
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
