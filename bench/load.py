#!/usr/bin/env python
"""Load benchmark: generate a canonical bundle at scale, load it, report time and memory.

    python bench/load.py                                  # 1M customers, 10M touchpoints
    python bench/load.py --customers 20000 --touchpoints 200000
    python bench/load.py --profile                        # also cProfile the load (slower)

What it measures (DESIGN.md §7: one million customers and ten million touchpoints from CSV
into the embedded store in under 60 s and under 4 GB):

1. the machine: CPU, cores, memory, OS, Python and library versions;
2. the bundle: generated once per scale with vectorised numpy/pyarrow (seeded, so every run
   loads the same bytes) and cached under ``--out`` — its generation time and size on disk are
   reported apart from the load;
3. the load: a fresh database, ``load_bundle`` in a fresh child process (so its peak memory is
   the load's alone), with the time of each step from the loader's progress callback, the
   peak resident memory, rows per second and the load report's counts;
4. the idempotent re-load: the same bundle into the same database in another child process,
   its time, and whether any node or relationship count changed.

``--customers`` counts people: about 15% of them also appear under a second source system
(the same e-mail in other letter case, or the same phone in another format), so
customers.csv holds about 1.15 rows per person and identity resolution has real merges to do.

The figures go to the terminal as a table against the targets and to
``<out>/load-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

#: Bump when the generated data changes shape, so cached bundles are regenerated.
GENERATOR_VERSION = 3
TARGET_SECONDS = 60.0
TARGET_BYTES = 4 * 1024**3
TARGET_RELOAD_SECONDS = 15.0
TARGET_DELTA_SECONDS = 30.0  # "4 GB" read as 4 GiB; the table prints both units
DUPLICATE_SHARE = 0.15  # people who also appear under a second source system
NATIONAL_SHARE = 0.10  # people whose phone is a London landline written nationally (020 …)
PLACEHOLDER_PEOPLE = 40  # people sharing test@example.com: blocked, never merged
MEMBERS_PER_CUSTOMER = 2.0  # campaign_members rows per person (2M at 1M people)
RELATIONSHIPS_PER_CUSTOMER = 2.0
CHUNK_ROWS = 2_000_000  # touchpoints are generated and written this many rows at a time
MARKER = ".complete"
GIB = 1024**3
STEPS = ("read", "validate", "resolve identities", "write nodes", "write relationships")

# --- the machine ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """CPU, cores, memory, OS and the versions that matter to the load."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("graph360", "ladybug", "pandas", "pyarrow", "numpy", "scipy", "phonenumbers"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_bytes": _meminfo("MemTotal"),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def code_version() -> dict[str, Any]:
    """The graph360 commit and which of its files differ from it (others may be editing)."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, check=False
            )
        except OSError:
            return ""
        return done.stdout.strip()

    changed = [line[3:] for line in git("status", "--porcelain", "--", "graph360").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD") or None, "uncommitted": changed}


def source_digest() -> str:
    """A digest of the graph360 sources, its queries and its mappings as they are now (the child
    takes it when it imports)."""
    import hashlib

    import graph360
    from graph360 import shipped

    digest = hashlib.sha1()
    roots = (Path(graph360.__file__).parent, shipped.folder("queries"), shipped.folder("loaders"))
    for path in sorted(path for root in roots for path in root.rglob("*")):
        if path.suffix in (".py", ".cypher", ".toml") and path.is_file():
            digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _meminfo(field: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# --- generating the bundle -----------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Grace Alan Edsger Barbara Donald Margaret Ken Dennis Linus Guido Bjarne James Frances "
    "Radia Katherine Tim Vint Bob Sophie Carol Hedy Annie John Mary Joan Niklaus Leslie Judea "
    "Shafi Silvio Yoshua Geoffrey Yann Fei Daphne Andrew Jeff Sanjay Lynn Anita Susan Karen "
    "Sally Dorothy Evelyn Jean Kathleen Marlyn Ruth Betty Mohammed Aisha Omar Priya Rahul Wei "
    "Mei Hiroshi Yuki Olga Ivan Sven Ingrid Lars Freya Pierre Amelie Luca Giulia Pablo Lucia "
    "Noah Emma Liam Olivia Ethan Ava Mason Isla Harry Amara Kwame Chidi Zara Tariq Leila"
)
LAST_NAMES = _words(
    "Lovelace Hopper Turing Dijkstra Liskov Knuth Hamilton Thompson Ritchie Torvalds Rossum "
    "Stroustrup Gosling Allen Perlman Johnson Berners-Lee Cerf Kahn Wilson Shaw Lamarr Easley "
    "Backus Keller Clarke Wirth Lamport Pearl Goldwasser Micali Bengio Hinton LeCun Li Koller "
    "Ng Dean Ghemawat Conway Borg Kare Jones Spärck Holberton Bartik Antonelli Teitelbaum "
    "Wescoff Lichterman Ahmed Khan Patel Singh Chen Wang Tanaka Sato Petrova Ivanov Larsen "
    "Nilsson Dubois Martin Rossi Bianchi Garcia Lopez Smith Brown Taylor Evans Walker Wright "
    "Mensah Okafor Haddad Nasser O'Brien Murphy Kelly Byrne"
)
DOMAINS = ("example.org", "example.com", "example.net", "mail.example.com", "post.example.org")
LOCATIONS = (  # (city, country, weight)
    ("London", "GB", 0.30),
    ("Manchester", "GB", 0.10),
    ("Birmingham", "GB", 0.08),
    ("Leeds", "GB", 0.06),
    ("Glasgow", "GB", 0.06),
    ("Bristol", "GB", 0.05),
    ("Edinburgh", "GB", 0.05),
    ("Cardiff", "GB", 0.04),
    ("Dublin", "IE", 0.06),
    ("Paris", "FR", 0.05),
    ("Berlin", "DE", 0.05),
    ("Amsterdam", "NL", 0.04),
    ("Madrid", "ES", 0.03),
    ("Stockholm", "SE", 0.03),
)
SEGMENTS = (("standard", 0.55), ("premium", 0.25), ("basic", 0.15), ("vip", 0.05))
DEPARTMENTS = (  # (department_id, name, division)
    ("retail-sales", "Retail Sales", "Sales"),
    ("online-sales", "Online Sales", "Sales"),
    ("b2b-sales", "Business Sales", "Sales"),
    ("crm", "Lifecycle CRM", "Marketing"),
    ("brand", "Brand", "Marketing"),
    ("social", "Social Media", "Marketing"),
    ("care", "Customer Care", "Service"),
    ("billing", "Billing", "Service"),
)
JOURNEY_STEPS = (  # (step_id, journey_id, name, position, stage, owners)
    ("buy-1", "buy", "Browse", 1, "awareness", "brand;online-sales"),
    ("buy-2", "buy", "Compare", 2, "consideration", ""),
    ("buy-3", "buy", "Add to cart", 3, "consideration", "online-sales"),
    ("buy-4", "buy", "Checkout", 4, "purchase", "online-sales;retail-sales"),
    ("buy-5", "buy", "Delivery", 5, "fulfilment", ""),
    ("buy-6", "buy", "Review", 6, "loyalty", "crm"),
    ("buy-7", "buy", "Abandoned checkout follow-up", 7, "recovery", ""),
    ("sup-1", "support", "Open ticket", 1, "contact", "care"),
    ("sup-2", "support", "Diagnose", 2, "resolution", "care"),
    ("sup-3", "support", "Refund", 3, "resolution", "billing"),
    ("sup-4", "support", "Escalation", 4, "resolution", ""),
    ("sup-5", "support", "Satisfaction survey", 5, "follow-up", "crm"),
)
PRODUCT_CATEGORIES = ("machines", "supplies", "software", "services", "subscriptions")
CAMPAIGN_CHANNELS = ("email", "sms", "social", "web", "direct-mail")
CAMPAIGN_DEPARTMENTS = ("crm", "brand", "social", "online-sales", "retail-sales", "b2b-sales")
OBJECTIVES = ("conversion", "engagement", "retention", "reactivation", "awareness")
RELATIONSHIP_KINDS = (
    ("knows", 0.35),
    ("follows", 0.25),
    ("colleague", 0.15),
    ("household", 0.15),
    ("referred", 0.10),
)
# (channel, kind, weight, step_id or "", department_id or "", campaign share)
TOUCH_KINDS = (
    ("email", "open", 0.20, "", "crm", 1.0),
    ("email", "click", 0.08, "buy-2", "crm", 1.0),
    ("web", "page_view", 0.22, "buy-1", "online-sales", 0.05),
    ("web", "add_to_cart", 0.05, "buy-3", "online-sales", 0.05),
    ("web", "purchase", 0.03, "buy-4", "online-sales", 0.05),
    ("web", "checkout_abandoned", 0.01, "buy-7", "", 0.0),
    ("app", "session", 0.08, "buy-1", "online-sales", 0.0),
    ("app", "purchase", 0.02, "buy-4", "online-sales", 0.05),
    ("store", "purchase", 0.03, "buy-4", "retail-sales", 0.0),
    ("sms", "delivered", 0.05, "", "crm", 1.0),
    ("phone", "call", 0.04, "sup-2", "care", 0.0),
    ("chat", "chat", 0.03, "sup-2", "care", 0.0),
    ("support", "ticket", 0.03, "sup-1", "care", 0.0),
    ("social", "mention", 0.05, "", "social", 0.10),
    ("survey", "nps", 0.02, "buy-6", "", 0.0),
    ("survey", "csat", 0.02, "sup-5", "", 0.0),
)
SAYINGS = (
    "love the new app",
    "delivery was late again",
    "great help from the team",
    "still waiting for my refund",
    "checkout keeps failing",
    "five stars",
    "would recommend",
    "price went up without notice",
    "fast and friendly",
    "could not reach anyone",
)
RESOLUTIONS = (
    "refund issued",
    "password reset",
    "replacement sent",
    "explained the bill",
    "escalated to billing",
    "no fault found",
)
OUTCOMES = (("resolved", 0.70), ("escalated", 0.15), ("pending", 0.15))

EPOCH_2015 = int(dt.datetime(2015, 1, 1, tzinfo=dt.UTC).timestamp())
EPOCH_2023 = int(dt.datetime(2023, 1, 1, tzinfo=dt.UTC).timestamp())
EPOCH_2025 = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp())


def _ascii(name: str) -> str:
    """A name as it appears in an e-mail address: lower case, ASCII letters and hyphens."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum() or c == "-")


def _strings(values: np.ndarray | range) -> pa.Array:
    """Integers as text."""
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def _pick(pool: tuple[str, ...] | list[str], index: np.ndarray) -> pa.Array:
    return pa.array(list(pool), pa.string()).take(pa.array(index))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _null_where(values: pa.Array, missing: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(missing), pa.scalar(None, values.type), values)


def _weighted(rng: np.random.Generator, weights: list[float], size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _dates(rng: np.random.Generator, start: dt.date, end: dt.date, size: int) -> pa.Array:
    low, high = (start - dt.date(1970, 1, 1)).days, (end - dt.date(1970, 1, 1)).days
    return pa.array(rng.integers(low, high, size).astype(np.int32)).cast(pa.date32())


def _times(rng: np.random.Generator, low: int, high: int, size: int, utc: bool) -> pa.Array:
    kind = pa.timestamp("s", tz="UTC") if utc else pa.timestamp("s")
    return pa.array(rng.integers(low, high, size, dtype=np.int64)).cast(kind)


def _write(path: Path, table: pa.Table) -> int:
    pacsv.write_csv(table, path)
    return table.num_rows


@dataclass
class People:
    """The generated people and the source records that name them."""

    n: int
    sources: pa.Array  # per record
    ids: pa.Array  # per record
    alternate: np.ndarray  # per person: row of their second record, or -1
    records: int

    def references(self, rng: np.random.Generator, persons: np.ndarray) -> tuple[pa.Array, ...]:
        """(source, customer_id) naming each person: their second record half the time."""
        alt = self.alternate[persons]
        use_alt = (alt >= 0) & (rng.random(len(persons)) < 0.5)
        rows = pa.array(np.where(use_alt, alt, persons))
        return self.sources.take(rows), self.ids.take(rows)


def _gen_customers(rng: np.random.Generator, n: int, path: Path) -> tuple[People, dict]:
    """customers.csv: one crm record per person plus a second record for ~15% of them."""
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    names = _join(_pick(FIRST_NAMES, first), " ", _pick(LAST_NAMES, last))
    local = _join(
        _pick([_ascii(f) for f in FIRST_NAMES], first),
        ".",
        _pick([_ascii(x) for x in LAST_NAMES], last),
        _strings(np.arange(1, n + 1)),
    )
    emails = _join(local, "@", _pick(DOMAINS, rng.integers(0, len(DOMAINS), n)))
    no_email = rng.random(n) < 0.05
    placeholder = np.zeros(n, dtype=bool)
    placeholder[rng.choice(n, min(PLACEHOLDER_PEOPLE, n // 10), replace=False)] = True
    emails = pc.if_else(pa.array(placeholder), pa.scalar("test@example.com"), emails)
    emails = _null_where(emails, no_email & ~placeholder)

    # Phones: unique per person; most mobiles written "+44 7…", a share of London landlines
    # written nationally "020 …". A second record writes the same number the other way.
    number = rng.permutation(n)
    landline = rng.random(n) < NATIONAL_SHARE
    digits = pc.utf8_lpad(_strings(number), 8, padding="0")
    mobile_intl = _join(
        "+44 77", pc.utf8_slice_codeunits(digits, 0, 2), " ", pc.utf8_slice_codeunits(digits, 2, 8)
    )
    mobile_national = _join(
        "077", pc.utf8_slice_codeunits(digits, 0, 2), " ", pc.utf8_slice_codeunits(digits, 2, 8)
    )
    london = _join(_strings(3 + number // 10_000_000), pc.utf8_slice_codeunits(digits, 1, 8))
    l_head, l_tail = pc.utf8_slice_codeunits(london, 0, 4), pc.utf8_slice_codeunits(london, 4, 8)
    london_national = _join("020 ", l_head, " ", l_tail)
    london_intl = _join("+44 20 ", l_head, " ", l_tail)
    is_landline = pa.array(landline)
    phones = pc.if_else(is_landline, london_national, mobile_intl)
    phones_other = pc.if_else(is_landline, london_intl, mobile_national)
    no_phone = (rng.random(n) < 0.08) & ~landline
    phones = _null_where(phones, no_phone)

    place = _weighted(rng, [w for _, _, w in LOCATIONS], n)
    place[landline] = 0  # London landlines live in London
    cities = _pick([c for c, _, _ in LOCATIONS], place)
    countries = _pick([c for _, c, _ in LOCATIONS], place)
    genders = _null_where(
        _pick(("F", "M", "X"), _weighted(rng, [0.49, 0.47, 0.04], n)), rng.random(n) < 0.1
    )
    primary = pa.table(
        {
            "source": pa.array(["crm"] * n, pa.string()),
            "customer_id": _strings(np.arange(1, n + 1)),
            "name": names,
            "email": emails,
            "phone": phones,
            "gender": genders,
            "birth_date": _null_where(
                _dates(rng, dt.date(1940, 1, 1), dt.date(2006, 12, 31), n), rng.random(n) < 0.2
            ),
            "city": cities,
            "country": countries,
            "segment": _pick([s for s, _ in SEGMENTS], _weighted(rng, [w for _, w in SEGMENTS], n)),
            "created_at": _times(rng, EPOCH_2015, EPOCH_2025, n, utc=False),
        }
    )

    # Second records: a shop or support system that knows the same person by e-mail (in other
    # letter case) or by phone (in the other format), under its own id.
    eligible = np.flatnonzero(~no_email & ~placeholder & ~no_phone)
    twins = np.sort(rng.choice(eligible, min(len(eligible), round(n * DUPLICATE_SHARE)), False))
    d = len(twins)
    # A number written nationally is read in the record's country: only GB records do that.
    in_gb = np.asarray([c == "GB" for _, c, _ in LOCATIONS])[place[twins]]
    by_email = (rng.random(d) < 0.6) | ~in_gb
    shop = rng.random(d) < 0.6
    twin_ids = np.arange(1, d + 1)
    take = pa.array(twins)
    upper = rng.random(d) < 0.5
    twin_emails = pc.if_else(
        pa.array(upper),
        pc.utf8_upper(emails.take(take)),
        pc.utf8_capitalize(emails.take(take)),
    )
    second = pa.table(
        {
            "source": pc.if_else(pa.array(shop), pa.scalar("shop"), pa.scalar("support")),
            "customer_id": _join(
                pc.if_else(pa.array(shop), pa.scalar("S-"), pa.scalar("T-")), _strings(twin_ids)
            ),
            "name": names.take(take),
            "email": _null_where(twin_emails, ~by_email),
            "phone": _null_where(phones_other.take(take), by_email),
            "gender": pa.nulls(d, pa.string()),
            "birth_date": pa.nulls(d, pa.date32()),
            "city": _null_where(cities.take(take), rng.random(d) < 0.5),
            "country": countries.take(take),
            "segment": pa.nulls(d, pa.string()),
            "created_at": _times(rng, EPOCH_2023, EPOCH_2025, d, utc=False),
        }
    )
    table = pa.concat_tables([primary, second])
    _write(path, table)
    alternate = np.full(n, -1, dtype=np.int64)
    alternate[twins] = n + np.arange(d)
    people = People(
        n,
        table.column("source").combine_chunks(),
        table.column("customer_id").combine_chunks(),
        alternate,
        n + d,
    )
    expected = {
        "people": n,
        "records": n + d,
        "second_records": d,
        "linked_by_email": int(by_email.sum()),
        "linked_by_phone": int((~by_email).sum()),
        "national_phones": int(landline.sum() + (~by_email & ~landline[twins]).sum()),
        "placeholder_records": int(placeholder.sum()),
    }
    return people, expected


def _gen_reference(folder: Path, rng: np.random.Generator, campaigns: int) -> dict[str, int]:
    """departments, journeys, journey steps, products and campaigns."""
    rows = {}
    rows["departments"] = _write(
        folder / "departments.csv",
        pa.table(
            {
                k: [d[i] for d in DEPARTMENTS]
                for i, k in enumerate(("department_id", "name", "division"))
            }
        ),
    )
    rows["journeys"] = _write(
        folder / "journeys.csv",
        pa.table(
            {
                "journey_id": ["buy", "support"],
                "name": ["Online purchase", "Get help"],
                "persona": ["shopper", None],
            }
        ),
    )
    columns = ("step_id", "journey_id", "name", "position", "stage", "owner_department_ids")
    steps = {k: [s[i] for s in JOURNEY_STEPS] for i, k in enumerate(columns)}
    steps["owner_department_ids"] = [o or None for o in steps["owner_department_ids"]]
    rows["journey_steps"] = _write(folder / "journey_steps.csv", pa.table(steps))
    n_products = 50
    rows["products"] = _write(
        folder / "products.csv",
        pa.table(
            {
                "product_id": _join("P", _strings(np.arange(1, n_products + 1))),
                "name": _join("Product ", _strings(np.arange(1, n_products + 1))),
                "category": _pick(PRODUCT_CATEGORIES, np.arange(n_products) % 5),
            }
        ),
    )
    started = _dates(rng, dt.date(2023, 1, 1), dt.date(2024, 12, 1), campaigns)
    length = pa.array(rng.integers(7, 60, campaigns).astype(np.int32))
    ended = pc.add(started.cast(pa.int32()), length).cast(pa.date32())
    rows["campaigns"] = _write(
        folder / "campaigns.csv",
        pa.table(
            {
                "campaign_id": _campaign_ids(np.arange(campaigns)),
                "name": _join("Campaign ", _strings(np.arange(1, campaigns + 1))),
                "channel": _pick(CAMPAIGN_CHANNELS, rng.integers(0, 5, campaigns)),
                "department_id": _pick(CAMPAIGN_DEPARTMENTS, rng.integers(0, 6, campaigns)),
                "objective": _pick(OBJECTIVES, rng.integers(0, 5, campaigns)),
                "started_at": started,
                "ended_at": _null_where(ended, rng.random(campaigns) < 0.1),
            }
        ),
    )
    return rows


def _campaign_ids(index: np.ndarray) -> pa.Array:
    return _join("CMP", pc.utf8_lpad(_strings(index + 1), 4, padding="0"))


def _skewed(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Person indices where a few people are much more active than most."""
    return np.minimum((n * rng.random(size) ** 1.6).astype(np.int64), n - 1)


def _gen_relationships(rng: np.random.Generator, people: People, path: Path) -> int:
    n = people.n
    size = int(n * RELATIONSHIPS_PER_CUSTOMER * 1.01)
    source = _skewed(rng, n, size)
    target = (source + rng.integers(1, n, size)) % n
    kind = _weighted(rng, [w for _, w in RELATIONSHIP_KINDS], size)
    _, first = np.unique((source * n + target) * len(RELATIONSHIP_KINDS) + kind, return_index=True)
    first = np.sort(first)[: int(n * RELATIONSHIPS_PER_CUSTOMER)]
    source, target, kind = source[first], target[first], kind[first]
    size = len(first)
    weights = np.round(rng.uniform(0.1, 5.0, size), 1)
    table = pa.table(
        {
            "source": pa.array(["crm"] * size, pa.string()),
            "from_customer_id": people.ids.take(pa.array(source)),
            "to_customer_id": people.ids.take(pa.array(target)),
            "kind": _pick([k for k, _ in RELATIONSHIP_KINDS], kind),
            "weight": _null_where(pa.array(weights), rng.random(size) < 0.5),
            "since": _null_where(
                _dates(rng, dt.date(2010, 1, 1), dt.date(2024, 12, 31), size),
                rng.random(size) < 0.3,
            ),
        }
    )
    return _write(path, table)


def _gen_members(rng: np.random.Generator, people: People, campaigns: int, path: Path) -> int:
    n = people.n
    size = int(n * MEMBERS_PER_CUSTOMER * 1.02)
    campaign = _weighted(rng, list(rng.pareto(1.5, campaigns) + 0.1), size)
    person = rng.integers(0, n, size)
    _, first = np.unique(campaign.astype(np.int64) * n + person, return_index=True)
    first = np.sort(first)[: int(n * MEMBERS_PER_CUSTOMER)]
    campaign, person = campaign[first], person[first]
    source, ids = people.references(rng, person)
    size = len(first)
    table = pa.table(
        {
            "campaign_id": _campaign_ids(campaign),
            "source": source,
            "customer_id": ids,
            "email": pa.nulls(size, pa.string()),
            "added_at": _null_where(
                _dates(rng, dt.date(2023, 1, 1), dt.date(2024, 12, 31), size),
                rng.random(size) < 0.2,
            ),
        }
    )
    return _write(path, table)


def _touchpoint_chunk(
    rng: np.random.Generator, people: People, start: int, size: int, campaigns: int
) -> pa.Table:
    kinds = _weighted(rng, [t[2] for t in TOUCH_KINDS], size)
    names = ("channel", "kind", "weight", "step", "department", "campaign_share")
    table = {name: np.asarray([row[i] for row in TOUCH_KINDS]) for i, name in enumerate(names)}
    channel = _pick(list(table["channel"]), kinds)
    kind = _pick(list(table["kind"]), kinds)
    person = _skewed(rng, people.n, size)
    source, ids = people.references(rng, person)
    has_campaign = rng.random(size) < table["campaign_share"].astype(float)[kinds]
    step = table["step"][kinds]
    has_step = (step != "") & (rng.random(size) < 0.8)
    department = table["department"][kinds]
    has_department = (department != "") & (rng.random(size) < 0.9)
    kind_names = table["kind"][kinds]
    purchase = kind_names == "purchase"
    nps, csat = kind_names == "nps", kind_names == "csat"
    survey = nps | csat
    social = kind_names == "mention"
    service = np.isin(kind_names, ["call", "chat", "ticket"])
    product = rng.integers(0, 50, size)
    price = np.round((product % 17 + 1) * 4.99 * rng.integers(1, 4, size), 2)
    rating = np.where(nps, rng.integers(0, 11, size), rng.integers(1, 6, size))
    outcome = _weighted(rng, [w for _, w in OUTCOMES], size)
    resolved = service & (outcome == 0)
    return pa.table(
        {
            "touchpoint_id": _join("TP", _strings(np.arange(start + 1, start + size + 1))),
            "at": _times(rng, EPOCH_2023, EPOCH_2025, size, utc=True),
            "channel": channel,
            "kind": kind,
            "source": source,
            "customer_id": ids,
            "email": pa.nulls(size, pa.string()),
            "campaign_id": _null_where(
                _campaign_ids(rng.integers(0, campaigns, size)), ~has_campaign
            ),
            "step_id": _null_where(pa.array(step), ~has_step),
            "department_id": _null_where(pa.array(department), ~has_department),
            "product_id": _null_where(_join("P", _strings(product + 1)), ~purchase),
            "value": _null_where(pa.array(price), ~purchase),
            "rating": _null_where(pa.array(rating), ~survey),
            "rating_scale": _null_where(pa.array(np.where(nps, 10, 5)), ~survey),
            "sentiment": _null_where(
                pa.array(np.round(rng.uniform(-1, 1, size), 2)), ~(survey | social)
            ),
            "text": _null_where(
                _pick(SAYINGS, rng.integers(0, len(SAYINGS), size)),
                ~(social | (survey & (rng.random(size) < 0.3))),
            ),
            "outcome": _null_where(_pick([o for o, _ in OUTCOMES], outcome), ~service),
            "resolution": _null_where(
                _pick(RESOLUTIONS, rng.integers(0, len(RESOLUTIONS), size)), ~resolved
            ),
        }
    )


def _gen_touchpoints(
    seed: np.random.SeedSequence, people: People, total: int, campaigns: int, path: Path
) -> int:
    """touchpoints.csv, written in chunks (each with its own seeded generator)."""
    chunks = max(1, -(-total // CHUNK_ROWS))
    writer = None
    try:
        for number, child in enumerate(seed.spawn(chunks)):
            start = number * CHUNK_ROWS
            size = min(CHUNK_ROWS, total - start)
            chunk = _touchpoint_chunk(np.random.default_rng(child), people, start, size, campaigns)
            if writer is None:
                writer = pacsv.CSVWriter(path, chunk.schema)
            writer.write_table(chunk)
    finally:
        if writer is not None:
            writer.close()
    return total


def generate(folder: Path, customers: int, touchpoints: int, seed: int) -> dict[str, Any]:
    """Write the whole bundle into ``folder``; returns what was written and what to expect."""
    folder.mkdir(parents=True, exist_ok=True)
    root = np.random.SeedSequence(seed)
    seeds = root.spawn(5)
    campaigns = 200
    rows = _gen_reference(folder, np.random.default_rng(seeds[0]), campaigns)
    people, expected = _gen_customers(
        np.random.default_rng(seeds[1]), customers, folder / "customers.csv"
    )
    rows["customers"] = people.records
    rows["relationships"] = _gen_relationships(
        np.random.default_rng(seeds[2]), people, folder / "relationships.csv"
    )
    rows["campaign_members"] = _gen_members(
        np.random.default_rng(seeds[3]), people, campaigns, folder / "campaign_members.csv"
    )
    rows["touchpoints"] = _gen_touchpoints(
        seeds[4], people, touchpoints, campaigns, folder / "touchpoints.csv"
    )
    return {"rows": rows, "expected": expected}


def bundle_size(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(folder.glob("*.csv"))}


def ensure_bundle(out: Path, customers: int, touchpoints: int, seed: int) -> dict[str, Any]:
    """The bundle for this scale: reused when a complete one exists, else generated."""
    folder = out / f"bundle-v{GENERATOR_VERSION}-c{customers}-t{touchpoints}-s{seed}"
    marker = folder / MARKER
    if marker.exists():
        info = json.loads(marker.read_text())
        info["cached"] = True
        return info
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    info = generate(folder, customers, touchpoints, seed)
    info["generation_seconds"] = round(time.perf_counter() - started, 2)
    info["folder"] = str(folder)
    info["files_bytes"] = bundle_size(folder)
    info["bytes"] = sum(info["files_bytes"].values())
    marker.write_text(json.dumps(info, indent=2))
    info["cached"] = False
    return info


def ensure_delta(bundle: Path, seed: int) -> Path:
    """The next night's export of ``bundle`` (seeded, cached beside it): 1% of the customer
    records with a new segment and a new e-mail, 1% new customers, 1,000 touchpoints changed
    (another step and kind) and 100,000 new touchpoints; every other file as it was."""
    folder = bundle.with_name(bundle.name + "-delta")
    if (folder / MARKER).exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    rng = np.random.default_rng(seed + 1)
    for path in bundle.glob("*.csv"):
        if path.name not in ("customers.csv", "touchpoints.csv"):
            shutil.copy(path, folder / path.name)
    options = pacsv.ConvertOptions(
        strings_can_be_null=True, column_types={"customer_id": pa.string()}
    )
    customers = pacsv.read_csv(bundle / "customers.csv", convert_options=options)
    n = customers.num_rows
    changed = np.zeros(n, dtype=bool)
    changed[rng.choice(n, n // 100, replace=False)] = True
    mask = pa.array(changed)
    ids = customers.column("customer_id")
    email = pc.if_else(mask, _join("night.", ids, "@example.org"), customers.column("email"))
    segment = pc.if_else(mask, pa.scalar("premium"), customers.column("segment"))
    customers = customers.set_column(customers.schema.get_field_index("email"), "email", email)
    customers = customers.set_column(
        customers.schema.get_field_index("segment"), "segment", segment
    )
    new = customers.slice(0, n // 100)
    new_ids = _join("N", _strings(range(n // 100)))
    new = new.set_column(new.schema.get_field_index("customer_id"), "customer_id", new_ids)
    new = new.set_column(
        new.schema.get_field_index("email"), "email", _join(new_ids, "@new.example.org")
    )
    new = new.set_column(
        new.schema.get_field_index("phone"), "phone", pa.nulls(len(new), pa.string())
    )
    pacsv.write_csv(
        pa.concat_tables([customers, new.cast(customers.schema)]), folder / "customers.csv"
    )
    touchpoints = pacsv.read_csv(bundle / "touchpoints.csv", convert_options=options)
    m = touchpoints.num_rows
    moved = np.zeros(m, dtype=bool)
    moved[rng.choice(m, 1_000, replace=False)] = True
    kind = touchpoints.schema.get_field_index("kind")
    touchpoints = touchpoints.set_column(
        kind, "kind", pc.if_else(pa.array(moved), pa.scalar("changed"), touchpoints.column(kind))
    )
    added = touchpoints.slice(0, 100_000)
    added = added.set_column(0, "touchpoint_id", _join("NTP", _strings(range(100_000))))
    pacsv.write_csv(pa.concat_tables([touchpoints, added]), folder / "touchpoints.csv")
    (folder / MARKER).write_text(json.dumps({"from": str(bundle), "seed": seed}))
    return folder


def duckdb_peer(bundle: Path) -> dict[str, Any]:
    """DuckDB reading every CSV of the bundle into tables, in a child, its types sniffed from
    the whole file (``sample_size=-1``), as graph360 reads every row."""
    code = (
        "import duckdb, sys, time, resource, json, pathlib\n"
        "t = time.perf_counter(); c = duckdb.connect()\n"
        "c.execute('SET enable_progress_bar = false')\n"
        "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.csv')):\n"
        '    c.execute(f"CREATE TABLE {p.stem} AS SELECT * FROM "\n'
        "              f\"read_csv('{p}', sample_size=-1)\")\n"
        "print(json.dumps({'seconds': time.perf_counter() - t, 'peak_rss_bytes': "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(bundle)], capture_output=True, text=True, check=True
        )
    except subprocess.CalledProcessError as error:
        said = (error.stderr or "").strip().splitlines()
        return {"failed": said[-1] if said else f"exit code {error.returncode}"}
    except OSError as error:
        return {"failed": str(error)}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the child process: one load, measured -------------------------------------------------


def _rss() -> int:
    """Resident memory of this process now, in bytes."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    """Peak resident memory of this process (VmHWM), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Sampler:
    """Samples resident memory every few milliseconds, so each step gets its own peak."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), _rss()))
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: float, end: float) -> int:
        inside = [rss for t, rss in self.samples if start <= t <= end]
        return max(inside, default=0)


Mark = tuple[str, float, float]  # step, wall clock, CPU time of the process (all threads)


def _phases(marks: list[Mark], end: Mark, sampler: Sampler) -> list[dict]:
    """Per-step wall and CPU seconds and peak memory from the progress callback's marks."""
    phases = []
    for (name, start, cpu), (_, stop, cpu_stop) in zip(marks, [*marks[1:], end], strict=True):
        phases.append(
            {
                "step": name,
                "seconds": round(stop - start, 3),
                "cpu_seconds": round(cpu_stop - cpu, 3),
                "peak_rss_bytes": sampler.peak(start, stop),
            }
        )
    return phases


def child(mode: str, bundle: Path, db: Path, result: Path, profile: Path | None) -> None:
    """Run one load, write JSON. ``mode``: load, a fresh database; reload, the same bundle
    again (known by its digest); recheck, the same compared row by row; delta, the next
    night's export."""
    process_start = time.perf_counter()
    from graph360.ingest.load import load_bundle
    from graph360.store import open_store

    imported = time.perf_counter()
    out: dict[str, Any] = {"mode": mode, "import_seconds": round(imported - process_start, 3)}
    out["source_digest"] = source_digest()
    marks: list[Mark] = []

    def progress(step: str) -> None:
        now = time.perf_counter()
        marks.append((step, now, time.process_time()))
        line = f"{now - loaded_from:7.1f} s  {step}  (rss {_rss() / GIB:.2f} GiB)"
        print("    " + line, flush=True)
        with _progress_file(result).open("a") as handle:
            handle.write(line + "\n")

    with Sampler() as sampler:
        t0 = time.perf_counter()
        store = open_store(str(db))
        t1 = time.perf_counter()
        if mode != "load":
            out["counts_before"] = store.counts()
        profiler = None
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        loaded_from, cpu_from = time.perf_counter(), time.process_time()
        report = load_bundle(
            store,
            bundle,
            rejects_path=result.with_suffix(".rejects.csv"),
            recheck=mode == "recheck",
            progress=progress,
        )
        t2, cpu2 = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        if mode != "load":
            out["counts_after"] = store.counts()
        t3 = time.perf_counter()
        store.close()
        t4 = time.perf_counter()
    out["peak_rss_bytes"] = _peak_rss()
    out["open_seconds"] = round(t1 - t0, 3)
    out["load_seconds"] = round(t2 - loaded_from, 3)
    out["close_seconds"] = round(t4 - t3, 3)
    out["seconds"] = round((t1 - t0) + (t2 - loaded_from) + (t4 - t3), 3)
    out["load_cpu_seconds"] = round(cpu2 - cpu_from, 3)
    out["steps"] = _phases(marks, ("end", t2, cpu2), sampler)
    out["report"] = report.to_dict()
    if mode == "load":
        counting = time.perf_counter()
        store = open_store(str(db), read_only=True)
        out["counts"] = store.counts()
        store.close()
        out["count_seconds"] = round(time.perf_counter() - counting, 3)
    result.write_text(json.dumps(out, indent=2, default=str))


def run_child(
    mode: str,
    bundle: Path,
    db: Path,
    result: Path,
    profile: Path | None,
    timeout: float,
    memory_guard: int,
) -> dict[str, Any]:
    """Run ``child`` in a fresh interpreter and return its figures (or the failure).

    The child is stopped (and the failure reported with the step it was in) when it runs past
    ``timeout`` seconds or when the machine's available memory falls under ``memory_guard``
    bytes, so that a load that does not fit fails cleanly instead of calling the OOM killer.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode]
    command += ["--bundle", str(bundle), "--db", str(db), "--result", str(result)]
    if profile is not None:
        command += ["--profile-to", str(profile)]
    started, busy_before = time.perf_counter(), _machine_cpu()
    process = subprocess.Popen(command)
    peak, failed, child_cpu = 0, None, 0.0
    while process.poll() is None:
        peak = max(peak, _process_rss(process.pid))
        child_cpu = max(child_cpu, _process_cpu(process.pid))
        available = _meminfo("MemAvailable")
        if available is not None and available < memory_guard:
            failed = (
                f"stopped: the machine had {available / GIB:.1f} GiB available "
                f"with the load at {peak / GIB:.1f} GiB resident"
            )
        elif time.perf_counter() - started > timeout:
            failed = f"stopped: still running after {timeout:g} s"
        if failed:
            process.kill()
            process.wait()
            break
        time.sleep(0.25)
    wall = round(time.perf_counter() - started, 3)
    steps = _progress_file(result)
    last_step = steps.read_text().splitlines()[-1] if steps.exists() else "before reading"
    if failed is None and (process.returncode != 0 or not result.exists()):
        failed = f"exit code {process.returncode}"
    if failed is not None:
        return {
            "mode": mode,
            "failed": f"{failed} (in step: {last_step})",
            "wall_seconds": wall,
            "peak_rss_bytes_seen_by_parent": peak,
            "progress": steps.read_text().splitlines() if steps.exists() else [],
        }
    figures = json.loads(result.read_text())
    figures["process_wall_seconds"] = wall
    # CPU the rest of the machine used meanwhile (other people's tests, say), in cores.
    others = max(0.0, _machine_cpu() - busy_before - child_cpu)
    figures["other_work_cores"] = round(others / wall, 2) if wall else 0.0
    figures["peak_rss_bytes_seen_by_parent"] = peak
    return figures


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy since boot (all cores)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds a process (all its threads) has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _progress_file(result: Path) -> Path:
    return result.with_suffix(".steps")


# --- the report ----------------------------------------------------------------------------


def _gib(value: float | None) -> str:
    return "-" if value is None else f"{value / GIB:.2f} GiB"


def _diff(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    changed = {}
    for group in ("nodes", "relationships"):
        for name, count in after.get(group, {}).items():
            if before.get(group, {}).get(name) != count:
                changed[name] = (before.get(group, {}).get(name), count)
    return changed


def _expected_counts(info: dict) -> dict[str, int]:
    rows, expected = info["rows"], info["expected"]
    return {
        "Customer": expected["people"],
        "SourceRecord": expected["records"],
        "Touchpoint": rows["touchpoints"],
        "HAD": rows["touchpoints"],
        "RELATED": rows["relationships"],
        "TARGETS": rows["campaign_members"],
        "Campaign": rows["campaigns"],
        "Department": rows["departments"],
        "JourneyStep": rows["journey_steps"],
        "Product": rows["products"],
    }


def _lines(figures: dict) -> Iterator[str]:
    m, info, load, reload = (figures[k] for k in ("machine", "bundle", "load", "reload"))
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    yield ""
    yield "graph360 load benchmark"
    yield "=" * 78
    yield f"machine   {m['cpu']}; {m['cores']} cores ({m['cores_usable']} usable)"
    yield f"          {_gib(m['memory_bytes'])} memory; {m['os']}; Python {m['python']}"
    yield f"          {versions}"
    code = figures["code"]
    digests = [run["source_digest"] for run in (load, reload) if "source_digest" in run]
    yield (
        f"code      graph360 @ {code['commit']}"
        + (
            f" + uncommitted changes to {len(code['uncommitted'])} file(s)"
            if code["uncommitted"]
            else ""
        )
        + (f"; sources {digests[0]}" if digests else "")
        + (" (CHANGED between load and re-load)" if len(set(digests)) > 1 else "")
    )
    rows = info["rows"]
    yield (
        f"bundle    {info['expected']['people']:,} people in {rows['customers']:,} customer "
        f"records, {rows['touchpoints']:,} touchpoints, {sum(rows.values()):,} rows in all"
    )
    cached = " (cached: generated earlier)" if info.get("cached") else ""
    yield (
        f"          {info['bytes'] / 1e9:.2f} GB on disk; generated in "
        f"{info['generation_seconds']:.1f} s{cached} (not part of the load)"
    )
    yield ""
    if "failed" in load:
        yield f"LOAD FAILED: {load['failed']}"
        yield f"peak resident memory seen: {_gib(load['peak_rss_bytes_seen_by_parent'])}"
        yield from ("  " + line for line in load["progress"])
        return
    yield f"{'load step':<24}{'seconds':>10}{'share':>8}{'CPU s':>9}{'peak RSS':>14}"
    yield "-" * 65
    for step in load["steps"]:
        share = step["seconds"] / load["load_seconds"] if load["load_seconds"] else 0
        yield (
            f"{step['step']:<24}{step['seconds']:>10.1f}{share:>8.0%}"
            f"{step['cpu_seconds']:>9.1f}{_gib(step['peak_rss_bytes']):>14}"
        )
    yield f"{'open + close store':<24}{load['open_seconds'] + load['close_seconds']:>10.1f}"
    yield "-" * 65
    yield (
        f"{'total':<24}{load['seconds']:>10.1f}{'':>8}{load['load_cpu_seconds']:>9.1f}"
        f"{_gib(load['peak_rss_bytes']):>14}"
    )
    others = load.get("other_work_cores", 0.0)
    if others > 0.2:
        yield (
            f"WARNING: other processes kept {others:.1f} of {figures['machine']['cores']} cores "
            "busy during this load: its wall times are inflated (its CPU seconds are not)"
        )
    yield ""
    rows_read = sum(f["rows_read"] for f in load["report"]["files"].values())
    report = load["report"]
    yield (
        f"throughput  {rows_read / load['seconds']:,.0f} rows/s "
        f"({rows['touchpoints'] / load['seconds']:,.0f} touchpoints/s)"
    )
    yield (
        f"identity    {report['customers_created']:,} customers created "
        f"(expected {info['expected']['people']:,}), {report['records_linked']:,} records "
        f"linked (expected {info['expected']['second_records']:,}), blocked "
        f"{report['identifiers_blocked'] or 'none'}"
    )
    yield f"rejects     {report['rejected']:,}" + (
        f" -> {report['rejects_path']}" if report["rejects_path"] else ""
    )
    counts = {**load["counts"]["nodes"], **load["counts"]["relationships"]}
    wrong = {k: (v, counts.get(k)) for k, v in _expected_counts(info).items() if counts.get(k) != v}
    yield "graph       " + (
        "every count matches the bundle"
        if not wrong
        else "MISMATCH " + ", ".join(f"{k}: expected {e:,}, got {g}" for k, (e, g) in wrong.items())
    )
    yield ""
    for label, run in (("re-load", reload), ("recheck", figures.get("recheck") or {})):
        yield from _reload_lines(label, run)
    delta = figures.get("delta") or {}
    if "failed" in delta:
        yield f"delta       FAILED: {delta['failed']}"
    elif delta:
        files = delta["report"]["files"]
        yield (
            f"delta       {delta['seconds']:.1f} s, peak {_gib(delta['peak_rss_bytes'])} "
            f"(target {TARGET_DELTA_SECONDS:g} s: "
            f"{'ok' if delta['seconds'] <= TARGET_DELTA_SECONDS else 'MISSED'})"
        )
        for name in ("customers", "touchpoints", "Customer"):
            f = files.get(name, {})
            yield (
                f"            {name}: {f.get('new', 0):,} new, {f.get('changed', 0):,} changed, "
                f"{f.get('unchanged', 0):,} unchanged"
            )
    peer = figures.get("duckdb") or {}
    if "failed" in peer:
        yield f"DuckDB      FAILED: {peer['failed']}"
    elif "seconds" in peer and "failed" not in load:
        yield (
            f"DuckDB      read_csv of every file: {peer['seconds']:.1f} s, "
            f"peak {_gib(peer['peak_rss_bytes'])}; graph360 / DuckDB = "
            f"{load['seconds'] / peer['seconds']:.1f}x"
        )
    yield ""
    seconds_ok = load["seconds"] < TARGET_SECONDS
    memory_ok = load["peak_rss_bytes"] < TARGET_BYTES
    yield f"{'target':<28}{'measured':>14}{'goal':>14}{'':>4}"
    yield "-" * 62
    yield (
        f"{'load time':<28}{load['seconds']:>12.1f} s{'< 60 s':>14}"
        f"  {'ok' if seconds_ok else 'MISSED'}"
    )
    yield (
        f"{'peak memory':<28}{_gib(load['peak_rss_bytes']):>14}{'< 4 GiB':>14}"
        f"  {'ok' if memory_ok else 'MISSED'}"
    )
    yield f"{'':<28}{load['peak_rss_bytes'] / 1e9:>11.2f} GB{'(< 4.29 GB)':>14}"
    scale = info["expected"]["people"] >= 1_000_000 and rows["touchpoints"] >= 10_000_000
    if not scale:
        yield "(below the 1M customers / 10M touchpoints of the target: indicative only)"


def _reload_lines(label: str, reload: dict) -> Iterator[str]:
    """The same bundle again: known by its digest (re-load) or compared row by row."""
    if "failed" in reload:
        yield f"{label:<12}FAILED: {reload['failed']}"
        return
    if not reload:
        return
    changed = _diff(reload["counts_before"], reload["counts_after"])
    how = "by digest" if reload["report"].get("unchanged_bundle") else "rows compared"
    yield (
        f"{label:<12}{reload['seconds']:.1f} s, {how} (target {TARGET_RELOAD_SECONDS:g} s: "
        f"{'ok' if reload['seconds'] <= TARGET_RELOAD_SECONDS else 'MISSED'}), "
        f"peak {_gib(reload['peak_rss_bytes'])}; "
        + ("no count changed" if not changed else f"COUNTS CHANGED: {changed}")
    )
    yield "            " + ", ".join(f"{s['step']} {s['seconds']:.1f} s" for s in reload["steps"])
    if reload.get("other_work_cores", 0.0) > 0.2:
        yield f"            (other processes kept {reload['other_work_cores']:.1f} cores busy)"
    written = {
        name: (f.get("new", 0), f.get("changed", 0))
        for name, f in reload["report"]["files"].items()
        if f.get("new", 0) or f.get("changed", 0)
    }
    yield "            rows written: " + (str(written) if written else "none")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="people (default 1M)")
    parser.add_argument("--touchpoints", type=int, default=10_000_000, help="default 10M")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-reload", action="store_true", help="skip the idempotent re-load")
    parser.add_argument("--profile", action="store_true", help="cProfile the load (slower)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per load")
    parser.add_argument(
        "--memory-guard",
        type=float,
        default=1.5,
        help="stop a load when the machine has fewer GiB than this available (default 1.5)",
    )
    parser.add_argument(
        "--child", choices=("load", "reload", "recheck", "delta"), help=argparse.SUPPRESS
    )
    parser.add_argument("--bundle", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.bundle, args.db, args.result, args.profile_to)
        return 0
    if args.customers < 100 or args.touchpoints < 1:
        parser.error("use at least 100 customers and 1 touchpoint")

    say: Callable[[str], None] = lambda text: print(text, flush=True)  # noqa: E731
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"started": stamp, "machine": machine(), "code": code_version()}
    say(f"machine: {json.dumps(figures['machine'])}")
    say(f"bundle: {args.customers:,} people, {args.touchpoints:,} touchpoints ...")
    info = ensure_bundle(out, args.customers, args.touchpoints, args.seed)
    figures["bundle"] = info
    say(
        f"bundle: {info['folder']} ({info['bytes'] / 1e9:.2f} GB, "
        + ("cached" if info["cached"] else f"generated in {info['generation_seconds']:.1f} s")
        + ")"
    )
    run = out / f"run-{stamp}"
    run.mkdir()
    db = run / "graph360.lbug"
    profile = run / "load.prof" if args.profile else None
    say("load: fresh database, child process ...")
    guard = int(args.memory_guard * GIB)
    figures["load"] = run_child(
        "load", Path(info["folder"]), db, run / "load.json", profile, args.timeout, guard
    )
    figures["reload"] = {}
    if not args.no_reload and "failed" not in figures["load"]:
        say("re-load: same bundle, same database, child process ...")
        figures["reload"] = run_child(
            "reload", Path(info["folder"]), db, run / "reload.json", None, args.timeout, guard
        )
    figures["recheck"] = {}
    if not args.no_reload and "failed" not in figures["load"]:
        say("re-load, every row compared (--recheck), child process ...")
        figures["recheck"] = run_child(
            "recheck", Path(info["folder"]), db, run / "recheck.json", None, args.timeout, guard
        )
    figures["delta"] = {}
    if not args.no_reload and "failed" not in figures["load"]:
        delta = ensure_delta(Path(info["folder"]), args.seed)
        say("nightly delta: the next night's export, same database, child process ...")
        figures["delta"] = run_child(
            "delta", delta, db, run / "delta.json", None, args.timeout, guard
        )
    say("peer: DuckDB reading the same CSVs ...")
    figures["duckdb"] = duckdb_peer(Path(info["folder"]))
    if profile is not None and profile.exists():
        figures["profile"] = str(profile)
        _print_profile(profile)
    load = figures["load"]
    if "failed" not in load:
        figures["targets"] = {
            "seconds": {
                "goal": TARGET_SECONDS,
                "measured": load["seconds"],
                "ok": load["seconds"] < TARGET_SECONDS,
            },
            "peak_rss_bytes": {
                "goal": TARGET_BYTES,
                "measured": load["peak_rss_bytes"],
                "ok": load["peak_rss_bytes"] < TARGET_BYTES,
            },
        }
    for line in _lines(figures):
        say(line)
    path = out / f"load-{stamp}.json"
    path.write_text(json.dumps(figures, indent=2, default=str))
    say(f"\nfigures: {path}")
    if not args.keep:
        for item in run.glob("graph360.lbug*"):
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    else:
        say(f"database kept: {db}")
    return 0 if "failed" not in load else 1


def _print_profile(path: Path, top: int = 25) -> None:
    import pstats

    print(f"\nprofile of the load ({path}; cProfile slows the load, so times are inflated):")
    stats = pstats.Stats(str(path))
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


if __name__ == "__main__":
    sys.exit(main())
