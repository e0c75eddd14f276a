"""Who holds which account and who knows whom: accounts.csv, holdings.csv, relationships.csv."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graph360.demo.shapes import _capped, _pick, _s, _times
from graph360.demo.vocabulary import DAYS, START, START_DAY
from graph360.demo.world import World


@dataclass(frozen=True)
class Network:
    """The canonical accounts, holdings and relationships, and who was referred by someone
    (``referred_mask``: the shop and the CRM show it as a lead source)."""

    accounts: pd.DataFrame
    holdings: pd.DataFrame
    relationships: pd.DataFrame
    referred_mask: np.ndarray


def make_network(rng: np.random.Generator, world: World) -> Network:
    """Accounts and holdings first, then the relationships (the order ``rng`` is drawn in)."""
    made = _Links(rng, world)
    made._accounts()
    made._relationships()
    made.referred_mask.flags.writeable = False  # frozen, as the world is
    return Network(made.accounts, made.holdings, made.relationships, made.referred_mask)


class _Links:
    """Draws the network's parts in turn over the world."""

    def __init__(self, rng: np.random.Generator, world: World) -> None:
        self.rng, self.world = rng, world

    def _accounts(self) -> None:
        rng, n = self.rng, self.world.n
        accounts: list[pd.DataFrame] = []
        holdings: list[tuple[np.ndarray, np.ndarray, str]] = []
        counter = [0]

        def new_ids(count: int) -> np.ndarray:
            ids = np.array([f"ACC-{counter[0] + i + 1:06d}" for i in range(count)], dtype=object)
            counter[0] += count
            return ids

        def opened(count: int) -> pd.Series:
            days = -rng.integers(0, 365 * 9, size=count) + rng.integers(0, DAYS, size=count) // 3
            return _s(np.datetime_as_string(START_DAY + days.astype("timedelta64[D]"), unit="D"))

        subs = np.flatnonzero(self.world.subscriber)
        family = self.world.is_head[subs] & (
            np.bincount(self.world.household, minlength=n)[self.world.household[subs]] > 1
        )
        family &= rng.random(len(subs)) < 0.5
        plans = {
            "Digital monthly": 119.88,
            "Digital annual": 99.00,
            "Print + Digital weekend": 389.48,
            "Print + Digital daily": 649.74,
        }
        plan = _pick(rng, list(plans), len(subs), [0.4, 0.3, 0.2, 0.1])
        plan = np.where(family, "Family digital", plan)
        value = np.array([plans.get(p, 179.88) for p in plan])
        ids = new_ids(len(subs))
        accounts.append(
            pd.DataFrame(
                {
                    "account_id": ids,
                    "name": (_s(plan) + " - " + self.world.last.iloc[subs].reset_index(drop=True)),
                    "kind": "subscription",
                    "status": self.world.sub_status[subs],
                    "plan": plan,
                    "opened_at": opened(len(subs)),
                    "value": [f"{v:.2f}" for v in value],
                    "department_id": "retail_sales",
                }
            )
        )
        holdings.append((subs, ids, "owner"))
        # family plan members
        fam_heads = subs[family]
        fam_ids = ids[family]
        members = np.flatnonzero(~self.world.is_head & np.isin(self.world.head, fam_heads))
        lookup = dict(zip(fam_heads.tolist(), fam_ids.tolist(), strict=True))
        holdings.append(
            (
                members,
                np.array([lookup[h] for h in self.world.head[members]], dtype=object),
                "member",
            )
        )

        for mask, plan_name, price in (
            (self.world.garden & (rng.random(n) < 0.35), "Gardening Monthly", 59.00),
            (self.world.food & (rng.random(n) < 0.3), "Food & Travel", 64.00),
        ):
            who = np.flatnonzero(mask)
            mids = new_ids(len(who))
            accounts.append(
                pd.DataFrame(
                    {
                        "account_id": mids,
                        "name": plan_name
                        + " - "
                        + self.world.last.iloc[who].reset_index(drop=True),
                        "kind": "magazine",
                        "status": _pick(rng, ["active", "lapsed"], len(who), [0.85, 0.15]),
                        "plan": "Annual print",
                        "opened_at": opened(len(who)),
                        "value": f"{price:.2f}",
                        "department_id": "magazines",
                    }
                )
            )
            holdings.append((who, mids, "owner"))

        crm_business = np.flatnonzero(self.world.business & self.world.in_crm)
        comps, sizes = np.unique(self.world.company[crm_business], return_counts=True)
        lic = comps[sizes >= 2]
        lic_ids = new_ids(len(lic))
        seats = sizes[sizes >= 2]
        accounts.append(
            pd.DataFrame(
                {
                    "account_id": lic_ids,
                    "name": "Team licence - "
                    + self.world.company_names.iloc[lic].reset_index(drop=True),
                    "kind": "licence",
                    "status": _pick(rng, ["active", "active", "lapsed"], len(lic)),
                    "plan": _s([f"Team ({s} seats)" for s in seats]),
                    "opened_at": opened(len(lic)),
                    "value": [f"{450.0 * s:.2f}" for s in seats],
                    "department_id": "business_sales",
                }
            )
        )
        lic_of = dict(zip(lic.tolist(), lic_ids.tolist(), strict=True))
        holders = crm_business[np.isin(self.world.company[crm_business], lic)]
        admin = np.zeros(len(holders), dtype=bool)
        _, first_pos = np.unique(self.world.company[holders], return_index=True)
        admin[first_pos] = True
        hold_ids = np.array([lic_of[c] for c in self.world.company[holders]], dtype=object)
        holdings.append((holders[admin], hold_ids[admin], "admin"))
        holdings.append((holders[~admin], hold_ids[~admin], "member"))

        self.accounts = pd.concat(accounts, ignore_index=True).astype(str)
        rows = []
        for who, acc, role in holdings:
            source, cid = self.world.ref(who)
            rows.append(
                pd.DataFrame(
                    {"source": source, "customer_id": cid, "account_id": acc, "role": role}
                )
            )
        self.holdings = pd.concat(rows, ignore_index=True).astype(str)

    def _relationships(self) -> None:
        rng, n = self.rng, self.world.n
        crm = self.world.in_crm
        edges: list[tuple[np.ndarray, np.ndarray, str, float, np.ndarray | None]] = []

        # referrals: heavy-tailed; 0, 1 and 2 are the big referrers
        candidates = np.flatnonzero(crm & (np.arange(n) >= 3))
        candidates = candidates[rng.permutation(len(candidates))]
        forced = [max(10, round(0.025 * n)), max(5, round(0.012 * n)), max(4, round(0.008 * n))]
        referred_share = int(0.2 * len(candidates))
        referred = candidates[: max(referred_share, sum(forced))]
        frm, to = [], []
        cursor = 0
        for person, count in enumerate(forced):
            frm.append(referred[cursor : cursor + count])
            to.append(np.full(count, person))
            cursor += count
        rest = referred[cursor:]
        advocates = candidates[len(referred) :][: max(1, len(candidates) // 10)]
        if len(rest) and len(advocates):
            w = rng.pareto(1.3, size=len(advocates)) + 1.0
            p = _capped(w, 0.5 * forced[2] / len(rest))
            frm.append(rest)
            to.append(rng.choice(advocates, size=len(rest), p=p))
        ref_from, ref_to = np.concatenate(frm), np.concatenate(to)
        since = np.maximum(self.world.created[ref_from], self.world.created[ref_to]) + 3600
        edges.append((ref_from, ref_to, "referred", 1.0, since))
        self.referred_mask = np.zeros(n, dtype=bool)
        self.referred_mask[ref_from] = True

        # households: every pair of members
        hf, ht = [], []
        for k in range(1, 5):
            i = np.arange(n - k)
            same = self.world.household[i] == self.world.household[i + k]
            hf.append(i[same])
            ht.append(i[same] + k)
        hf_a, ht_a = np.concatenate(hf), np.concatenate(ht)
        keep = crm[hf_a] & crm[ht_a]
        since = np.maximum(self.world.created[hf_a], self.world.created[ht_a])
        edges.append((hf_a[keep], ht_a[keep], "household", 1.0, since[keep]))

        # colleagues: a chain and one random link inside each company
        biz = np.flatnonzero(self.world.business & crm)
        order = biz[np.argsort(self.world.company[biz], kind="stable")]
        same = self.world.company[order[:-1]] == self.world.company[order[1:]]
        cf, ct = order[:-1][same], order[1:][same]
        shuffled = order[np.lexsort((rng.random(len(order)), self.world.company[order]))]
        same2 = self.world.company[order] == self.world.company[shuffled]
        cf2, ct2 = order[same2 & (order != shuffled)], shuffled[same2 & (order != shuffled)]
        edges.append((np.r_[cf, cf2], np.r_[ct, ct2], "colleague", 1.0, None))

        # follows: the influencers, then micro-influencers with a heavy tail
        everyone = np.flatnonzero(crm)
        ff, ft = [], []
        follower_counts = (
            max(15, round(0.06 * n)),
            max(6, round(0.02 * n)),
            max(5, round(0.015 * n)),
        )
        for person, count in enumerate(follower_counts):
            who = rng.choice(
                everyone[everyone != person], size=min(count, len(everyone) - 1), replace=False
            )
            ff.append(who)
            ft.append(np.full(len(who), person))
        others = everyone[everyone >= 3]
        micro = rng.choice(others, size=min(len(others), max(30, len(others) // 20)), replace=False)
        m = round(0.15 * n)
        p = _capped(rng.pareto(1.6, size=len(micro)) + 1.0, 0.4 * follower_counts[2] / m)
        ff.append(rng.choice(everyone[everyone >= 3], size=m))
        ft.append(rng.choice(micro, size=m, p=p))
        ff_a, ft_a = np.concatenate(ff), np.concatenate(ft)
        follow_since = _times(rng, len(ff_a), "social") // 86400 * 86400
        edges.append((ff_a, ft_a, "follows", 1.0, follow_since))

        # knows: pairs in the same city
        by_city = everyone[np.argsort(self.world.city[everyone], kind="stable")]
        cities = self.world.city[by_city]
        lo = np.searchsorted(cities, cities, side="left")
        hi = np.searchsorted(cities, cities, side="right")
        m = round(0.4 * n)
        pick = rng.integers(0, len(by_city), size=m)
        other = rng.integers(lo[pick], hi[pick])
        edges.append((by_city[pick], by_city[other], "knows", 0.5, None))
        # the influencers know many people (so no single friend inherits their rank)
        for person in range(3):
            who = rng.choice(
                everyone[everyone >= 3],
                size=min(len(everyone) - 3, max(10, n // 100)),
                replace=False,
            )
            edges.append((np.full(len(who), person), who, "knows", 0.5, None))

        frames = []
        for frm_a, to_a, kind, weight, when in edges:
            ok = frm_a != to_a
            frm_a, to_a = frm_a[ok], to_a[ok]
            if kind in ("household", "colleague", "knows"):  # one row per pair
                frm_a, to_a = np.minimum(frm_a, to_a), np.maximum(frm_a, to_a)
            since_col = (
                _s(
                    np.datetime_as_string(
                        (START + when[ok].astype("timedelta64[s]")).astype("datetime64[D]"),
                        unit="D",
                    )
                )
                if when is not None
                else _s([""] * len(frm_a))
            )
            frame = pd.DataFrame(
                {
                    "source": "crm",
                    "from_customer_id": self.world.crm_id.to_numpy()[frm_a],
                    "to_customer_id": self.world.crm_id.to_numpy()[to_a],
                    "kind": kind,
                    "weight": f"{weight:.1f}",
                    "since": since_col.to_numpy(),
                }
            )
            frames.append(frame.drop_duplicates(["from_customer_id", "to_customer_id"]))
        self.relationships = pd.concat(frames, ignore_index=True).astype(str)
