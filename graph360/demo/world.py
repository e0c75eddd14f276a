"""The demo's world: every person, where they live, what they like, and which systems know
them under which ids, drawn once and then frozen.

Every generator after it (graph360.demo's other modules) reads the world and never changes it;
what a system adds (orders, tickets, sends) is its own.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from graph360.demo.shapes import (
    _PHONE_STYLES,
    _affine,
    _base36,
    _clock,
    _digits,
    _email_case,
    _phone_text,
    _pick,
    _s,
    _times,
)
from graph360.demo.vocabulary import (
    CITIES,
    COMPANY_A,
    COMPANY_B,
    COMPANY_C,
    END_DAY,
    FEMALE,
    MALE,
    NEUTRAL,
    PERSONAL_DOMAINS,
    PERSONAS,
    PLACEHOLDER_EMAILS,
    STREETS,
    SURNAMES,
)


@dataclass(frozen=True)
class World:
    """One entry per person (index 0 to n-1; 0, 1 and 2 are the documented influencers) in
    each array or Series, and the placeholder pools (``pools``: which people carry which
    placeholder). Built by :func:`make_world`; frozen once built."""

    n: int
    # households: each person's household and its head (its first member)
    household: np.ndarray
    head: np.ndarray
    is_head: np.ndarray
    # who they are (birth: datetime64[D]; created: seconds from 2025-05-01, negative before)
    gender: np.ndarray
    first: pd.Series
    last: pd.Series
    birth: np.ndarray
    segment: np.ndarray
    persona: np.ndarray
    created: np.ndarray
    # where they live (city: an index into CITIES)
    city: np.ndarray
    country: np.ndarray
    street: pd.Series
    postcode: pd.Series
    # business people's company (an index into company_names; -1: none)
    business: np.ndarray
    company: np.ndarray
    company_names: pd.Series
    company_name: pd.Series
    # interests, which decide campaigns' audiences and baskets
    news: np.ndarray
    garden: np.ndarray
    food: np.ndarray
    puzzles: np.ndarray
    walking: np.ndarray
    history: np.ndarray
    # contact details: e-mails, and each phone in parts (rendered by :meth:`phone`)
    personal_email: pd.Series
    work_email: pd.Series
    cc: pd.Series
    area: pd.Series
    part_a: pd.Series
    part_b: pd.Series
    landline: np.ndarray
    # which systems know them, under which ids
    in_crm: np.ndarray
    in_shop: np.ndarray
    crm_id: pd.Series
    shop_id: pd.Series
    sup_id: pd.Series
    esp_id: pd.Series
    # placeholder pools, the CRM's e-mails, the CRM's duplicated contacts, the address
    # marketing writes to (and as the e-mail platform spells it), subscriptions
    pools: dict[str, np.ndarray]
    crm_email: pd.Series
    crm_dup: np.ndarray
    contact_email: pd.Series
    esp_address: pd.Series
    subscribed: np.ndarray
    subscriber: np.ndarray
    sub_status: np.ndarray
    lapsed: np.ndarray

    def phone(
        self, rng: np.random.Generator, who: np.ndarray, styles: list[str], p: list[float]
    ) -> pd.Series:
        """The phones of persons ``who``, each rendered in one of ``styles``."""
        style = np.array([_PHONE_STYLES.index(s) for s in styles])[
            rng.choice(len(styles), size=len(who), p=p)
        ]
        return _phone_text(
            self.cc.iloc[who].reset_index(drop=True),
            self.area.iloc[who].reset_index(drop=True),
            self.part_a.iloc[who].reset_index(drop=True),
            self.part_b.iloc[who].reset_index(drop=True),
            style,
        )

    def ref(self, who: np.ndarray) -> tuple[pd.Series, pd.Series]:
        """(source, customer_id) a canonical file uses for persons: the CRM, else the shop."""
        who = np.asarray(who)
        crm = self.in_crm[who]
        source = _s(np.where(crm, "crm", "shop"))
        cid = _s(np.where(crm, self.crm_id.to_numpy()[who], self.shop_id.to_numpy()[who]))
        return source, cid


def make_world(rng: np.random.Generator, n: int) -> World:
    """The world for ``n`` people: their people part first, then the systems that know them
    (the order ``rng`` is drawn in)."""
    people = _People(rng, n)
    people._people()
    people._systems()
    drawn = {f.name: getattr(people, f.name) for f in fields(World)}
    for value in [*drawn.values(), *people.pools.values()]:
        if isinstance(value, np.ndarray):
            value.flags.writeable = False  # frozen: a generator that wrote here would fail
    return World(**drawn)


class _People:
    """Draws the world's fields one after another; each step reads what the earlier ones drew."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        self.n = n

    def _people(self) -> None:
        rng, n = self.rng, self.n
        sizes = rng.choice(5, size=n, p=[0.78, 0.12, 0.06, 0.03, 0.01]) + 1
        sizes[:3] = 1  # the three influencers live on their own
        household = np.repeat(np.arange(n), sizes)[:n]
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        head = starts[household]
        self.household, self.head = household, head
        self.is_head = head == np.arange(n)

        gender = _pick(rng, ["F", "M", "X"], n, [0.49, 0.49, 0.02])
        draw = rng.integers(0, 1 << 30, size=n)
        female, male, neutral = (np.array(x, dtype=object) for x in (FEMALE, MALE, NEUTRAL))
        first = np.where(
            gender == "F",
            female[draw % len(female)],
            np.where(gender == "M", male[draw % len(male)], neutral[draw % len(neutral)]),
        )
        zipf = 1.0 / (np.arange(len(SURNAMES)) + 8.0) ** 0.8
        own = _pick(rng, SURNAMES, n, zipf)
        last = np.where(self.is_head | (rng.random(n) > 0.85), own, own[head])
        city_weights = [c[3] for c in CITIES]
        city = rng.choice(len(CITIES), size=n, p=np.array(city_weights) / sum(city_weights))[head]
        # The top influencer is a fixed, recognisable person.
        gender[0], first[0], last[0] = "F", "Amara", "Okafor"
        city[household == 0] = 0
        self.gender, self.first, self.last, self.city = gender, _s(first), _s(last), city
        self.country = np.array([CITIES[c][2] for c in range(len(CITIES))], dtype=object)[city]

        number = rng.integers(1, 240, size=n)[head]
        street = _pick(rng, STREETS, n)[head]
        self.street = _s(number.astype(str)) + " " + _s(street)
        areas = [CITIES[c][7].split() for c in range(len(CITIES))]
        pick = rng.integers(0, 1000, size=n)[head]
        outward = _s([areas[c][k % len(areas[c])] for c, k in zip(city, pick, strict=True)])
        letters = np.array(list("ABDEFGHJLNPQRSTUWXY"), dtype=object)
        inward = (
            _s(rng.integers(1, 10, size=n).astype(str))
            + _s(letters[rng.integers(0, len(letters), size=n)])
            + _s(letters[rng.integers(0, len(letters), size=n)])
        )
        self.postcode = outward + " " + inward[head].reset_index(drop=True)

        age_days = (rng.beta(2.2, 2.6, size=n) * (85 - 18) + 18) * 365.25
        self.birth = END_DAY - age_days.astype(np.int64).astype("timedelta64[D]")

        business = rng.random(n) < 0.17
        business[0] = False
        n_comp = max(3, n // 45)
        comp_w = 1.0 / (np.arange(n_comp) + 2.0) ** 0.7
        company = np.where(business, rng.choice(n_comp, size=n, p=comp_w / comp_w.sum()), -1)
        perm = _affine(
            np.arange(n_comp), len(COMPANY_A) * len(COMPANY_B) * len(COMPANY_C), 7919, 11
        )
        a, rest = np.divmod(perm, len(COMPANY_B) * len(COMPANY_C))
        b, c = np.divmod(rest, len(COMPANY_C))
        comp_names = (
            _s(np.array(COMPANY_A, dtype=object)[a % len(COMPANY_A)])
            + " "
            + _s(np.array(COMPANY_B, dtype=object)[b])
            + " "
            + _s(np.array(COMPANY_C, dtype=object)[c])
        )
        self.company_names = comp_names
        self.company = company
        self.business = business
        comp_slug = (
            comp_names.str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
        )
        self.company_name = _s(
            np.where(business, comp_names.to_numpy()[np.maximum(company, 0)], "")
        )

        age = (END_DAY - self.birth).astype(np.int64) / 365.25
        segment = np.where(business, "Business", "Consumer").astype(object)
        segment[(~business) & (age < 24) & (rng.random(n) < 0.6)] = "Student"
        segment[(segment == "Consumer") & (rng.random(n) < 0.25)] = "Premium"
        self.segment = segment
        persona = _pick(rng, PERSONAS[:4], n, [0.35, 0.25, 0.22, 0.18])
        persona[business] = "Business professional"
        self.persona = persona
        self.news = rng.random(n) < 0.7
        self.garden = rng.random(n) < np.clip((age - 20) / 150, 0.05, 0.45)
        self.food = rng.random(n) < 0.25
        self.puzzles = rng.random(n) < 0.3
        self.walking = rng.random(n) < 0.15
        self.history = rng.random(n) < 0.12

        # created: 55% long-standing customers, the rest joined during the eighteen months
        old = rng.random(n) < 0.55
        old_secs = -rng.integers(30, 365 * 11, size=n) * 86400 + _clock(rng, n, "web")
        new_secs = _times(rng, n, "web")
        created = np.where(old, old_secs, new_secs)
        created[:3] = -np.array([3650, 3500, 3300]) * 86400 + 11 * 3600
        self.created = created

        # e-mail addresses: unique by construction (a number is added to repeats)
        first_l = self.first.str.lower().str.replace(r"[^a-z\-]", "", regex=True)
        last_l = self.last.str.lower().str.replace(r"[^a-z\-]", "", regex=True)
        style = rng.choice(5, size=n, p=[0.45, 0.2, 0.15, 0.1, 0.1])
        year = _s(((self.birth.astype("datetime64[Y]").astype(np.int64) + 1970) % 100).astype(str))
        local = first_l + "." + last_l
        local = local.where(style != 1, first_l + last_l)
        local = local.where(style != 2, first_l.str[0] + "." + last_l)
        local = local.where(style != 3, first_l + "." + last_l + year.str.zfill(2))
        local = local.where(style != 4, first_l + "_" + last_l)
        domain = _s(_pick(rng, PERSONAL_DOMAINS, n, [0.4, 0.25, 0.15, 0.1, 0.05, 0.05]))
        local[0], domain[0] = "amara.okafor", "example.com"
        self.personal_email = self._unique_emails(local, domain)
        work_local = first_l + "." + last_l
        work_domain = _s(comp_slug.to_numpy()[np.maximum(company, 0)]) + ".example.com"
        work = self._unique_emails(work_local, work_domain)
        self.work_email = work.where(_s(business.astype(str)) == "True", "")

        # phones: mobiles mostly, some landlines in the city's area; unique by construction
        self._phones()

    @staticmethod
    def _unique_emails(local: pd.Series, domain: pd.Series) -> pd.Series:
        """Unique addresses: "jo.bloggs2@..." for a repeat, "jo.bloggs.<n>@..." if still taken."""
        email = local + "@" + domain
        rank = email.groupby(email).cumcount().to_numpy()
        email = email.where(rank == 0, local + _s((rank + 1).astype(str)) + "@" + domain)
        clash = email.duplicated(keep="first").to_numpy()
        index = _s(np.arange(len(email)).astype(str))
        return email.where(~clash, local + "." + index + "@" + domain)

    def _phones(self) -> None:
        rng, n = self.rng, self.n
        idx = np.arange(n)
        ie = self.country == "IE"
        u = _affine(idx, 300_000_000, 1_000_000_007, 12_345_678)
        lead = np.array(["4", "5", "8"], dtype=object)[u // 100_000_000]
        rest = _digits(u % 100_000_000, 8)
        gb_area = "7" + _s(lead) + rest.str[:2]
        gb_a, gb_b = rest.str[2:], _s([""] * n)
        v = _affine(idx, 10_000_000, 48_271, 777)
        ie_area = _s(np.array(["83", "85", "86", "87"], dtype=object)[v % 4])
        ie_rest = _digits(_affine(idx, 10_000_000, 69_621, 4242), 7)
        area = gb_area.where(~ie, ie_area)
        part_a = gb_a.where(~ie, ie_rest.str[:3])
        part_b = gb_b.where(~ie, ie_rest.str[3:])
        landline = rng.random(n) < 0.25
        for c, (_, _, _, _, code, leads, length, _) in enumerate(CITIES):
            mask = landline & (self.city == c)
            if not mask.any():
                continue
            k = np.flatnonzero(mask)
            width = length - 1
            local = _digits(_affine(k, 10**width, 1_000_003, 31 * c + 7), width)
            local = _s(np.array(list(leads), dtype=object)[k % len(leads)]) + local
            split = {8: 4, 7: 3, 6: 6}[length]
            area.iloc[k] = code
            part_a.iloc[k] = local.str[:split].to_numpy()
            part_b.iloc[k] = local.str[split:].to_numpy()
        # Irish Dublin numbers: "1 234 5678" (area 1, local 3 + 4 digits) is already the split.
        self.cc = _s(np.where(ie, "353", "44"))
        key = self.cc + area + part_a + part_b
        clash = key.duplicated(keep="first").to_numpy()  # a landline clash: use the mobile
        if clash.any():
            area[clash] = gb_area.where(~ie, ie_area)[clash]
            part_a[clash] = gb_a.where(~ie, ie_rest.str[:3])[clash]
            part_b[clash] = gb_b.where(~ie, ie_rest.str[3:])[clash]
            landline = landline & ~clash
        self.area, self.part_a, self.part_b = area, part_a, part_b
        self.landline = landline

    def _systems(self) -> None:
        rng, n = self.rng, self.n
        in_crm = rng.random(n) < 0.85
        in_shop = rng.random(n) < 0.5
        in_crm[:3] = True
        in_shop[0] = True
        in_crm |= ~in_shop
        self.in_crm, self.in_shop = in_crm, in_shop
        idx = np.arange(n)
        self.crm_id = "0035g" + _base36(idx + 1, 10)
        self.shop_id = _s(
            (7_000_000_000_000 + _affine(idx, 10**12, 472_882_049, 91_283_746)).astype(str)
        )
        self.sup_id = _s(
            (360_000_000_000 + _affine(idx, 10**10, 1_103_515_241, 12_345)).astype(str)
        )
        self.esp_id = _s([f"{v:010x}" for v in _affine(idx, 16**10, 2_654_435_761, 97)])

        # Each placeholder sits on k records of k different people: more than any genuine
        # identifier (at most 4 records) and more than the loader's default limit (8).
        k = max(10, n // 100)
        half = (k + 1) // 2
        eligible = rng.permutation(np.arange(3, n))
        crm_pool = eligible[in_crm[eligible]]
        pools = {
            "crm_test": crm_pool[:half],
            "crm_none": crm_pool[half : 2 * half],  # one e-mail field: the two never overlap
            # the national form only reads as one number where the country is the UK
            "crm_zero": rng.permutation(crm_pool[self.country[crm_pool] == "GB"])[:k],
            "sup_test": eligible[-(k - half) :],
            "sup_none": eligible[-2 * (k - half) : -(k - half)],
            "sup_switch": rng.permutation(eligible)[:k],
        }
        used = np.zeros(n, dtype=bool)
        for arr in pools.values():
            used[arr] = True
        self.pools = pools

        crm_email = self.work_email.where(
            _s(self.business.astype(str)) == "True", self.personal_email
        )
        crm_email = crm_email.copy()
        crm_email.iloc[pools["crm_test"]] = PLACEHOLDER_EMAILS[0]
        crm_email.iloc[pools["crm_none"]] = PLACEHOLDER_EMAILS[1]
        self.crm_email = crm_email
        placeholder_crm = np.zeros(n, dtype=bool)
        placeholder_crm[np.r_[pools["crm_test"], pools["crm_none"]]] = True
        # The address marketing writes to: a real one some customer record carries.
        contact = np.where(in_crm & ~placeholder_crm, crm_email, "")
        contact = np.where(in_shop, self.personal_email, contact)
        self.contact_email = _s(contact)
        self.subscribed = (rng.random(n) < 0.7) & (self.contact_email != "").to_numpy()
        self.subscribed[0] = True
        self.esp_address = _email_case(rng, self.contact_email, [0.7, 0.25, 0.05])

        dup = in_crm & (rng.random(n) < 0.015) & ~used & ~placeholder_crm
        dup[:3] = False
        if not dup.any():
            dup[np.flatnonzero(in_crm & ~used & ~placeholder_crm)[3]] = True
        self.crm_dup = np.flatnonzero(dup)

        # subscriptions (accounts) decide who is a subscriber and who lapsed
        self.subscriber = (~self.business) & (rng.random(n) < 0.38)
        status = _pick(rng, ["active", "lapsed", "cancelled"], n, [0.78, 0.14, 0.08])
        self.sub_status = np.where(self.subscriber, status, "")
        self.lapsed = self.subscriber & (self.sub_status != "active")
