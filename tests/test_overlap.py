"""Overlap, contact collisions and cross-sell, checked against direct set computations.

The hand-made graph (``HAND``) is small enough to work out on paper; the comments next to its
rows say what each row is there to test. ``reference`` recomputes every figure with plain
Python sets and loops, straight from the rows, for the hand-made graph and for a random one.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import statistics
from collections import defaultdict
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import BACKENDS, empty_store
from scipy import sparse
from typer.testing import CliRunner

from graph360.analytics import overlap as ov
from graph360.analytics.overlap.collisions import _sequence
from graph360.cli import app
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore, open_store


def cid(n: int | str) -> str:
    return customer_id_for(f"crm:{n}")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# --- the hand-made graph ---------------------------------------------------------------------

DEPARTMENTS = [
    ("brand", "Brand", "Marketing"),
    ("crm", "Lifecycle CRM", "Marketing"),
    ("retail", "Retail Sales", "Sales"),
    ("mag", "Magazines", "Editorial"),
    ("lonely", "Lonely Desk", ""),  # no division: a unit of its own by division
]
#: campaign, department, started_at
CAMPAIGNS = [
    ("K1", "brand", "2026-01-01"),
    ("K2", "crm", "2026-01-05"),
    ("K3", "retail", "2026-02-01"),
    ("K4", "mag", ""),  # no start: its undated targets count only without a period
]
#: customer number: segment, persona, region
PROFILES = {
    1: ("premium", "Hobbyist", "North"),
    2: ("premium", "Hobbyist", "North"),
    3: ("premium", "Hobbyist", "North"),
    4: ("consumer", "Skimmer", "South"),
    5: ("consumer", "Skimmer", "South"),
    6: ("consumer", "Skimmer", "South"),
    7: ("consumer", "Skimmer", "North"),
    8: ("premium", "Hobbyist", "North"),
    9: ("", "", ""),
}
#: campaign, customer, added_at
MEMBERS = [
    ("K1", 1, "2026-01-01"),
    ("K1", 2, "2026-01-01"),
    ("K1", 3, "2026-01-01"),
    ("K2", 2, "2026-01-05"),
    ("K2", 4, "2026-01-05"),
    ("K3", 5, ""),  # placed at K3's start, 2026-02-01
    ("K3", 1, ""),
    ("K4", 6, ""),  # undated
]
#: id, customer, at, kind, handling department, campaign, value, outcome
TOUCHPOINTS = [
    ("T1", 1, "2026-01-10T10:00:00", "email_open", "brand", "", "", ""),
    ("T2", 1, "2026-01-12T09:00:00", "call", "", "K3", "", ""),  # 47 h after T1: collides
    ("T3", 2, "2026-01-10T10:00:00", "email_open", "crm", "", "", ""),
    ("T4", 2, "2026-01-12T11:00:00", "email_open", "mag", "", "", ""),  # 49 h: does not
    ("T5", 3, "2026-01-20T08:00:00", "email_sent", "", "K1", "", ""),
    ("T6", 3, "2026-01-20T09:00:00", "call", "retail", "K1", "", ""),  # retail made contact
    ("T7", 3, "2026-01-21T08:00:00", "email_open", "mag", "", "", ""),
    ("T8", 4, "2026-01-15T00:00:00", "bounce", "", "K2", "", ""),  # reached nobody
    ("T9", 4, "2026-01-15T01:00:00", "call", "retail", "", "", "no_answer"),  # nor this
    ("T10", 5, "2026-03-01T10:00:00", "ticket", "lonely", "", "", ""),
    ("T11", 5, "2026-03-01T11:00:00", "reply", "lonely", "", "", ""),  # same unit: no clash
    ("T12", 7, "2026-04-01T10:00:00", "email_open", "mag", "", "", ""),
    ("T13", 8, "2026-01-10T10:00:00", "social", "brand", "", "", ""),
    ("T14", 8, "2026-01-11T10:00:00", "email_open", "crm", "", "", ""),  # same division
    ("T15", 6, "2026-05-01T00:00:00", "social", "brand", "", "", ""),
    ("T16", 6, "2026-05-03T00:00:00", "email_open", "mag", "", "", ""),  # exactly 48 h
    ("T17", 1, "2026-01-16T09:00:00", "purchase", "mag", "", "20", "completed"),
    ("T18", 2, "2026-06-01T00:00:00", "purchase", "", "", "10", ""),  # nobody's purchase
    ("T19", 5, "2026-02-10T00:00:00", "purchase", "", "K3", "15", "refunded"),  # void
    ("T20", 9, "2026-01-10T12:00:00", "page_view", "", "", "", ""),  # no unit at all
]
#: account, department, opened_at, holder
ACCOUNTS = [("A1", "retail", "2025-01-01", 2), ("A2", "retail", "2026-12-01", 8)]


def hand_data() -> dict[str, Any]:
    return {
        "departments": DEPARTMENTS,
        "campaigns": CAMPAIGNS,
        "profiles": PROFILES,
        "members": MEMBERS,
        "touchpoints": TOUCHPOINTS,
        "accounts": ACCOUNTS,
    }


def write_bundle(folder: Path, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)

    def put(name: str, header: list[str], rows: list[tuple]) -> None:
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    put("departments.csv", ["department_id", "name", "division"], data["departments"])
    put(
        "campaigns.csv",
        ["campaign_id", "name", "channel", "department_id", "started_at"],
        [(k, f"Campaign {k}", "email", d, start) for k, d, start in data["campaigns"]],
    )
    put(
        "customers.csv",
        ["source", "customer_id", "name", "segment", "persona", "region"],
        [("crm", n, f"Person {n}", *p) for n, p in data["profiles"].items()],
    )
    put(
        "campaign_members.csv",
        ["campaign_id", "source", "customer_id", "added_at"],
        [(k, "crm", n, added) for k, n, added in data["members"]],
    )
    put(
        "touchpoints.csv",
        [
            "touchpoint_id",
            "source",
            "customer_id",
            "at",
            "channel",
            "kind",
            "department_id",
            "campaign_id",
            "value",
            "outcome",
        ],
        [
            (t, "crm", n, when, "email", kind, d, k, v, o)
            for t, n, when, kind, d, k, v, o in (data["touchpoints"])
        ],
    )
    put(
        "accounts.csv",
        ["account_id", "name", "kind", "department_id", "opened_at"],
        [(a, a, "subscription", d, opened) for a, d, opened, _ in data["accounts"]],
    )
    put(
        "holdings.csv",
        ["source", "customer_id", "account_id", "role"],
        [("crm", holder, a, "owner") for a, _, _, holder in data["accounts"]],
    )
    return folder


def load(store: GraphStore, tmp_path: Path, data: dict[str, Any]) -> GraphStore:
    bundle = write_bundle(tmp_path / "bundle", data)
    report = load_bundle(store, bundle, rejects_path=tmp_path / "rejects.csv")
    assert report.rejected == 0, (tmp_path / "rejects.csv").read_text()
    return store


@pytest.fixture(params=BACKENDS, scope="module")
def hand(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    """The hand-made graph, loaded once per module and backend (like conftest's ``tiny``)."""
    folder = tmp_path_factory.mktemp("hand")
    graph = empty_store(request.param, folder)
    yield load(graph, folder, hand_data())
    graph.close()


# --- the reference: plain sets and loops over the rows ---------------------------------------

NO_END = dt.datetime(9999, 12, 31)


class Reference:
    """Every figure of the overlap report, recomputed naively from the bundle's rows."""

    def __init__(self, data: dict[str, Any], by: str = "department") -> None:
        self.data = data
        self.by = by
        name = {d: n for d, n, _ in data["departments"]}
        if by == "department":
            self.unit = {d: d for d, _, _ in data["departments"]}
            self.name = name
        else:
            self.unit = {d: div or name[d] for d, _, div in data["departments"]}
            self.name = {u: u for u in self.unit.values()}
        self.campaign_dept = {k: d for k, d, _ in data["campaigns"]}
        self.campaign_start = {k: at(s) if s else None for k, _, s in data["campaigns"]}

    def touchpoints(self, lo: dt.datetime, hi: dt.datetime) -> list[dict[str, Any]]:
        rows = []
        for t, n, when, kind, dept, k, value, outcome in self.data["touchpoints"]:
            rows.append(
                {
                    "id": t,
                    "customer": cid(n),
                    "at": at(when),
                    "kind": kind,
                    "handled": dept,
                    "campaign_dept": self.campaign_dept[k] if k else "",
                    "value": float(value) if value else None,
                    "outcome": outcome,
                }
            )
        return [r for r in rows if lo <= r["at"] < hi]

    @staticmethod
    def bounds(since: Any, until: Any) -> tuple[dt.datetime, dt.datetime]:
        lo = dt.datetime.combine(since, dt.time()) if isinstance(since, dt.date) else since
        if isinstance(until, dt.datetime) or until is None:
            hi = until
        else:
            hi = dt.datetime.combine(until, dt.time()) + dt.timedelta(days=1)
        return lo or dt.datetime(1, 1, 1), hi or NO_END

    def reach(self, since: Any = None, until: Any = None) -> dict[str, set[str]]:
        lo, hi = self.bounds(since, until)
        undated = since is None and until is None
        reach: dict[str, set[str]] = defaultdict(set)
        for k, n, added in self.data["members"]:
            when = at(added) if added else self.campaign_start[k]
            if (when is None and undated) or (when is not None and lo <= when < hi):
                reach[self.unit[self.campaign_dept[k]]].add(cid(n))
        for t in self.touchpoints(lo, hi):
            if t["kind"] == "bounce" or t["outcome"] == "no_answer":
                continue
            for dept in {t["handled"], t["campaign_dept"]} - {""}:
                reach[self.unit[dept]].add(t["customer"])
        return reach

    def contacts(self, since: Any = None, until: Any = None) -> list[tuple[str, str, dt.datetime]]:
        lo, hi = self.bounds(since, until)
        out = []
        for t in self.touchpoints(lo, hi):
            if t["kind"] == "bounce" or t["outcome"] == "no_answer":
                continue
            dept = t["handled"] or t["campaign_dept"]
            if dept:
                out.append((t["customer"], self.unit[dept], t["at"]))
        return out

    def pairs(self, since: Any = None, until: Any = None) -> dict[tuple[str, str], dict]:
        reach = self.reach(since, until)
        units = sorted(set(self.unit.values()), key=self.order)
        out = {}
        for a, b in combinations(units, 2):
            A, B = reach.get(a, set()), reach.get(b, set())
            out[(a, b)] = {
                "customers_a": len(A),
                "customers_b": len(B),
                "both": len(A & B),
                "union": len(A | B),
                "jaccard": len(A & B) / len(A | B) if A | B else None,
                "overlap": len(A & B) / min(len(A), len(B)) if min(len(A), len(B)) else None,
            }
        return out

    def order(self, unit: str) -> Any:
        return unit  # units are listed in id order

    def intersections(self, since: Any = None, until: Any = None) -> dict[frozenset, int]:
        seen: dict[str, set[str]] = defaultdict(set)
        for unit, customers in self.reach(since, until).items():
            for c in customers:
                seen[c].add(unit)
        counts: dict[frozenset, int] = defaultdict(int)
        for units in seen.values():
            counts[frozenset(units)] += 1
        return dict(counts)

    def collisions(self, window_hours: float, since: Any = None, until: Any = None) -> dict:
        window = dt.timedelta(hours=window_hours)
        by_customer: dict[str, list] = defaultdict(list)
        for c, unit, when in self.contacts(since, until):
            by_customer[c].append((when, unit))
        closest: dict[tuple[str, str], dict[str, tuple]] = defaultdict(dict)
        best_windows = {}
        for c, contacts in by_customer.items():
            for (t1, u1), (t2, u2) in combinations(sorted(contacts), 2):
                if u1 == u2 or t2 - t1 > window:
                    continue
                pair = tuple(sorted((u1, u2)))
                gap = t2 - t1
                if c not in closest[pair] or gap < closest[pair][c][0]:
                    closest[pair][c] = (gap, u1)
            windows = []
            for start, _ in contacts:
                inside = [(t, u) for t, u in contacts if start <= t <= start + window]
                windows.append((len({u for _, u in inside}), len(inside), start))
            units, count, start = max(windows, key=lambda w: (w[0], w[1], -w[2].timestamp()))
            if units >= 2:
                best_windows[c] = (units, count, start)
        pairs = {
            pair: {
                "customers": len(found),
                "a_first": sum(1 for _, first in found.values() if first == pair[0]),
                "median_gap_hours": round(
                    statistics.median(g.total_seconds() for g, _ in found.values()) / 3600, 2
                ),
            }
            for pair, found in closest.items()
        }
        colliding = {c for found in closest.values() for c in found}
        return {"customers": colliding, "pairs": pairs, "offenders": best_windows}

    def response(self, since: Any = None, until: Any = None) -> dict[str, tuple[int, int]]:
        lo, hi = self.bounds(since, until)
        purchases = [
            (t["customer"], t["at"])
            for t in self.touchpoints(
                lo, min(hi, NO_END - dt.timedelta(days=7)) + dt.timedelta(days=7)
            )
            if t["kind"] == "purchase"
            and (t["value"] or 0) > 0
            and t["outcome"] not in ("cancelled", "refunded", "voided")
        ]
        out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for c, unit, when in self.contacts(since, until):
            out[unit][1] += 1
            if any(pc == c and when < pt <= when + dt.timedelta(days=7) for pc, pt in purchases):
                out[unit][0] += 1
        return {u: (hits, n) for u, (hits, n) in out.items()}

    def buyers(self, until: Any = None) -> dict[str, set[str]]:
        _, hi = self.bounds(None, until)
        bought: dict[str, set[str]] = defaultdict(set)
        for _, dept, opened, holder in self.data["accounts"]:
            if not opened or at(opened) < hi:
                bought[self.unit[dept]].add(cid(holder))
        for t in self.touchpoints(dt.datetime(1, 1, 1), hi):
            if (
                t["kind"] == "purchase"
                and (t["value"] or 0) > 0
                and t["outcome"] not in ("cancelled", "refunded", "voided")
            ):
                for dept in {t["handled"], t["campaign_dept"]} - {""}:
                    bought[self.unit[dept]].add(t["customer"])
        return bought

    def cross_sell(self, since: Any = None, until: Any = None, top: int = 10) -> list[dict]:
        people = {
            cid(n): tuple(v or "(unknown)" for v in p) for n, p in self.data["profiles"].items()
        }
        everyone = len(people)
        reach = self.reach(since, until)
        bought = self.buyers(until)
        contacts: dict[str, int] = defaultdict(int)
        for c, _, _ in self.contacts(since, until):
            contacts[c] += 1
        out = []
        for unit in sorted(set(self.unit.values())):
            buyers = bought.get(unit, set())
            if not buyers:
                continue
            base = len(buyers) / everyone
            found = []
            for c, cell in people.items():
                same = [p for p, pc in people.items() if pc == cell]
                hits = sum(1 for p in same if p in buyers)
                rate = (hits + 20 * base) / (len(same) + 20)
                elsewhere = any(c in r for u, r in reach.items() if u != unit)
                if elsewhere and c not in buyers and rate / base > 1.0:
                    found.append((-(rate / base), -contacts[c], c, hits, len(same)))
            for lift, _, c, hits, size in sorted(found)[:top]:
                out.append(
                    {
                        "unit": unit,
                        "customer_id": c,
                        "lift": -lift,
                        "profile_buyers": hits,
                        "profile_customers": size,
                        "active_with": sorted(
                            self.name[u] for u, r in reach.items() if u != unit and c in r
                        ),
                    }
                )
        return out


# --- the named queries, exact answers --------------------------------------------------------

EVER = {"since": dt.datetime(1, 1, 1), "until": NO_END}


def test_overlap_units(hand: GraphStore) -> None:
    rows = hand.query("overlap_units")
    assert [(r["department_id"], r["name"], r["division"] or "") for r in rows] == sorted(
        DEPARTMENTS
    )


def test_overlap_targets(hand: GraphStore) -> None:
    def pairs(**params: Any) -> set[tuple[str, str]]:
        return {
            (r["customer_id"], r["department_id"]) for r in hand.query("overlap_targets", **params)
        }

    everything = {(cid(n), dict((k, d) for k, d, _ in CAMPAIGNS)[k]) for k, n, _ in MEMBERS}
    assert pairs(**EVER, undated=True) == everything
    # K4's target has no date at all: left out as soon as the period is bounded.
    assert pairs(**EVER, undated=False) == everything - {(cid(6), "mag")}
    # K3's undated targets are placed at K3's start, 2026-02-01.
    january = {"since": at("2026-01-01"), "until": at("2026-02-01"), "undated": False}
    assert pairs(**january) == {(cid(1), "brand"), (cid(2), "brand"), (cid(3), "brand"),
                                (cid(2), "crm"), (cid(4), "crm")}  # fmt: skip
    assert pairs(since=at("2026-02-01"), until=at("2026-02-02"), undated=False) == {
        (cid(5), "retail"),
        (cid(1), "retail"),
    }


def test_overlap_touchpoints(hand: GraphStore) -> None:
    rows = hand.query(
        "overlap_touchpoints",
        **EVER,
        not_reached_kinds=["bounce"],
        not_reached_outcomes=["no_answer"],
    )
    got = sorted((r["customer_id"], r["department_id"], r["at"], r["contact"]) for r in rows)
    expected = [
        (cid(1), "brand", at("2026-01-10T10:00"), True),
        (cid(1), "retail", at("2026-01-12T09:00"), True),
        (cid(2), "crm", at("2026-01-10T10:00"), True),
        (cid(2), "mag", at("2026-01-12T11:00"), True),
        (cid(3), "brand", at("2026-01-20T08:00"), True),
        (cid(3), "retail", at("2026-01-20T09:00"), True),  # T6 handled by retail ...
        (cid(3), "brand", at("2026-01-20T09:00"), False),  # ... from brand's K1: reach only
        (cid(3), "mag", at("2026-01-21T08:00"), True),
        (cid(5), "lonely", at("2026-03-01T10:00"), True),
        (cid(5), "lonely", at("2026-03-01T11:00"), True),
        (cid(7), "mag", at("2026-04-01T10:00"), True),
        (cid(8), "brand", at("2026-01-10T10:00"), True),
        (cid(8), "crm", at("2026-01-11T10:00"), True),
        (cid(6), "brand", at("2026-05-01T00:00"), True),
        (cid(6), "mag", at("2026-05-03T00:00"), True),
        (cid(1), "mag", at("2026-01-16T09:00"), True),
        (cid(5), "retail", at("2026-02-10T00:00"), True),  # a refunded purchase still reached
    ]
    assert got == sorted(expected)
    window = hand.query(
        "overlap_touchpoints",
        since=at("2026-01-12T09:00"),
        until=at("2026-01-12T11:00"),
        not_reached_kinds=["none"],
        not_reached_outcomes=["none"],
    )
    assert [(r["customer_id"], r["department_id"]) for r in window] == [(cid(1), "retail")]


def test_overlap_purchases(hand: GraphStore) -> None:
    rows = hand.query("overlap_purchases", **EVER, void_outcomes=["cancelled", "refunded"])
    assert sorted((r["customer_id"], r["at"]) for r in rows) == sorted(
        [(cid(1), at("2026-01-16T09:00")), (cid(2), at("2026-06-01"))]
    )
    rows = hand.query("overlap_purchases", **EVER, void_outcomes=["completed"])
    assert sorted(r["customer_id"] for r in rows) == sorted([cid(2), cid(5)])


def test_overlap_buyers(hand: GraphStore) -> None:
    def buyers(until: dt.datetime) -> set[tuple[str, str]]:
        rows = hand.query("overlap_buyers", until=until, void_outcomes=["refunded"])
        return {(r["customer_id"], r["department_id"]) for r in rows}

    assert buyers(NO_END) == {(cid(2), "retail"), (cid(8), "retail"), (cid(1), "mag")}
    assert buyers(at("2026-06-30")) == {(cid(2), "retail"), (cid(1), "mag")}
    assert buyers(at("2026-01-16T09:00")) == {(cid(2), "retail")}


def test_overlap_profiles(hand: GraphStore) -> None:
    rows = {r["customer_id"]: r for r in hand.query("overlap_profiles")}
    assert set(rows) == {cid(n) for n in PROFILES}
    assert (rows[cid(4)]["segment"], rows[cid(4)]["persona"], rows[cid(4)]["region"]) == (
        "consumer",
        "Skimmer",
        "South",
    )
    assert rows[cid(9)]["segment"] is None


def test_overlap_customer_names(hand: GraphStore) -> None:
    rows = hand.query("overlap_customer_names", customer_ids=[cid(3), "C-NOBODY"])
    assert rows == [{"customer_id": cid(3), "name": "Person 3"}]


# --- overlap ---------------------------------------------------------------------------------


def _check_overlap(graph: GraphStore, ref: Reference, **period: Any) -> ov.OverlapReport:
    report = ov.overlap_report(graph, by=ref.by, **period)
    expected = ref.pairs(**period)
    got = {(p["unit_a"], p["unit_b"]): p for p in report.pairs}
    assert set(got) == set(expected)
    for key, want in expected.items():
        have = {k: got[key][k] for k in want}
        assert have == pytest.approx(want), key
    inters = {frozenset(i["units"]): i["customers"] for i in report.intersections}
    assert inters == ref.intersections(**period)
    sizes = [i["customers"] for i in report.intersections]
    assert sizes == sorted(sizes, reverse=True)
    reach = ref.reach(**period)
    assert {u["unit"]: u["reached"] for u in report.units} == {
        u: len(reach.get(u, set())) for u in {u["unit"] for u in report.units}
    }
    return report


def test_overlap_by_department_matches_the_sets(hand: GraphStore) -> None:
    report = _check_overlap(hand, Reference(hand_data()))
    # By hand: brand {1,2,3,6,8}, mag {1,2,3,6,7}: both 4 of the 6 either reached.
    (pair,) = [p for p in report.pairs if (p["unit_a"], p["unit_b"]) == ("brand", "mag")]
    assert (pair["both"], pair["union"]) == (4, 6)
    assert pair["jaccard"] == pytest.approx(4 / 6)
    assert pair["overlap"] == pytest.approx(4 / 5)
    assert report.pairs[0]["unit_a"], report.pairs[0]["unit_b"] == ("brand", "mag")
    top = report.intersections[0]
    assert (top["units"], top["customers"]) == (["brand", "mag", "retail"], 2)  # people 1 and 3
    assert sum(i["customers"] for i in report.intersections) == 8  # person 9 reached by nobody


def test_overlap_by_division_folds_departments(hand: GraphStore) -> None:
    report = _check_overlap(hand, Reference(hand_data(), by="division"))
    assert [u["unit"] for u in report.units] == ["Editorial", "Lonely Desk", "Marketing", "Sales"]
    marketing = next(u for u in report.units if u["unit"] == "Marketing")
    assert marketing["reached"] == 6  # brand {1,2,3,6,8} | crm {2,4,8}
    # Brand and Lifecycle CRM hitting person 8 a day apart is not a clash within Marketing.
    collisions = ov.contact_collisions(hand, by="division")
    assert {(p["unit_a"], p["unit_b"]): p["customers"] for p in collisions.pairs} == {
        ("Editorial", "Marketing"): 2,  # 3, and 6 exactly 48 h apart
        ("Marketing", "Sales"): 2,  # 1 (47 h) and 3
        ("Editorial", "Sales"): 1,  # 3
    }
    assert collisions.customers == 3


@pytest.mark.parametrize(
    "period",
    [
        {"since": dt.date(2026, 1, 1), "until": dt.date(2026, 1, 31)},
        {"since": dt.date(2026, 1, 20)},
        {"until": dt.datetime(2026, 1, 20, 9, 0)},  # a moment: exclusive
        {"since": dt.datetime(2026, 1, 12, 9, 0), "until": dt.date(2026, 1, 12)},
    ],
)
def test_the_period_filters_targets_and_touchpoints(hand: GraphStore, period: dict) -> None:
    ref = Reference(hand_data())
    _check_overlap(hand, ref, **period)
    got = ov.contact_collisions(hand, **period)
    want = ref.collisions(48, **period)
    assert got.customers == len(want["customers"])
    assert {(p["unit_a"], p["unit_b"]): p["customers"] for p in got.pairs} == {
        k: v["customers"] for k, v in want["pairs"].items()
    }


def test_january_by_hand(hand: GraphStore) -> None:
    reached = ov.reach(hand, since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 31))
    members = {
        reached.units.ids[j]: {reached.customers[i] for i in reached.matrix[:, j].nonzero()[0]}
        for j in range(len(reached.units.ids))
    }
    assert members == {
        "brand": {cid(1), cid(2), cid(3), cid(8)},
        "crm": {cid(2), cid(4), cid(8)},
        "retail": {cid(1), cid(3)},  # K3's list is dated February: only touchpoints count
        "mag": {cid(1), cid(2), cid(3)},  # K4's undated list is out once a period is set
        "lonely": set(),
    }
    before_nine = ov.reach(hand, until=dt.datetime(2026, 1, 20, 9, 0))
    retail = before_nine.units.index["retail"]
    assert {before_nine.customers[i] for i in before_nine.matrix[:, retail].nonzero()[0]} == {
        cid(1)
    }


def test_exclusive_intersections_with_more_units_than_bits() -> None:
    """Past 62 units the combinations are counted as rows, not integers: same answer."""
    rng = random.Random(3)
    for k in (5, 70):
        ids = [f"u{j:02d}" for j in range(k)]
        reached_by = [sorted(rng.sample(range(k), rng.choice([1, 2, 2, 3]))) for _ in range(300)]
        rows = [i for i, units in enumerate(reached_by) for _ in units]
        cols = [j for units in reached_by for j in units]
        matrix = sparse.csr_matrix(([1] * len(rows), (rows, cols)), shape=(300, k))
        units = ov.Units("department", ids, ids, {u: u for u in ids})
        found = ov.exclusive_intersections(ov.Reach(units, np.arange(300), matrix))
        expected: dict[tuple, int] = defaultdict(int)
        for members in reached_by:
            expected[tuple(ids[j] for j in members)] += 1
        assert {tuple(f["units"]): f["customers"] for f in found} == expected
        order = [(-f["customers"], f["degree"]) for f in found]
        assert order == sorted(order)


# --- collisions ------------------------------------------------------------------------------


def test_collisions_at_the_window_edge(hand: GraphStore) -> None:
    def pairs(hours: float) -> dict[tuple[str, str], set[str]]:
        found = ov.contact_collisions(hand, window_hours=hours)
        return {(p["unit_a"], p["unit_b"]): p["customers"] for p in found.pairs}

    # Person 1: brand then retail 47 h apart. Person 2: crm then mag 49 h apart. Person 6:
    # brand then mag exactly 48 h apart (inclusive). Person 3: brand, retail, mag in 24 h.
    # Person 8: brand then crm 24 h apart.
    assert pairs(48) == {("brand", "mag"): 2, ("brand", "retail"): 2, ("brand", "crm"): 1,
                         ("mag", "retail"): 1}  # fmt: skip
    assert pairs(47.5) == {("brand", "mag"): 1, ("brand", "retail"): 2, ("brand", "crm"): 1,
                           ("mag", "retail"): 1}  # fmt: skip
    assert pairs(46) == {("brand", "mag"): 1, ("brand", "retail"): 1, ("brand", "crm"): 1,
                         ("mag", "retail"): 1}  # fmt: skip
    assert pairs(49)[("crm", "mag")] == 1
    assert ("crm", "mag") not in pairs(48.99)


def test_collisions_match_the_reference(hand: GraphStore) -> None:
    ref = Reference(hand_data())
    for hours in (1, 24, 48, 49, 24 * 30):
        _check_collisions(hand, ref, hours)


def _check_collisions(graph: GraphStore, ref: Reference, hours: float, **period: Any) -> None:
    got = ov.contact_collisions(graph, by=ref.by, window_hours=hours, top=1000, **period)
    want = ref.collisions(hours, **period)
    assert got.customers == len(want["customers"])
    assert got.contacts == len(ref.contacts(**period))
    assert {
        (p["unit_a"], p["unit_b"]): {
            "customers": p["customers"],
            "a_first": p["a_first"],
            "median_gap_hours": p["median_gap_hours"],
        }
        for p in got.pairs
    } == want["pairs"]
    offenders = {
        o["customer_id"]: (o["units"], o["contacts"], o["window_start"]) for o in got.offenders
    }
    assert offenders == want["offenders"]
    ranks = [(-o["units"], -o["contacts"], o["customer_id"]) for o in got.offenders]
    assert ranks == sorted(ranks)
    response = ref.response(**period)
    assert {
        r["unit"]: (r["responded"], r["contacts"]) for r in got.response if r["contacts"]
    } == response


def test_worst_offender_and_sequence_by_hand(hand: GraphStore) -> None:
    found = ov.contact_collisions(hand, top=2)
    worst = found.offenders[0]
    assert (worst["customer_id"], worst["name"], worst["units"], worst["contacts"]) == (
        cid(3),
        "Person 3",
        3,
        3,
    )
    assert [(t["at"], t["unit"]) for t in worst["timeline"]] == [
        (at("2026-01-20T08:00"), "brand"),
        (at("2026-01-20T09:00"), "retail"),
        (at("2026-01-21T08:00"), "mag"),
    ]
    assert found.offenders[1]["customer_id"] == min(cid(1), cid(6), cid(8))
    # Responses: T1 (brand) and T2 (retail) were followed by person 1's purchase T17 within
    # 7 days; nothing else was. 1 of 4 vs 1 of 3 or 0 of 5 is no clear difference, so the
    # usual order decides.
    rates = {r["unit"]: (r["responded"], r["contacts"]) for r in found.response}
    assert rates == {"brand": (1, 4), "crm": (0, 2), "lonely": (0, 2), "mag": (0, 5),
                     "retail": (1, 3)}  # fmt: skip
    advice = {(s["first"], s["then"]): s for s in found.sequence}
    assert set(advice) == {("brand", "mag"), ("brand", "retail"), ("brand", "crm"),
                           ("retail", "mag")}  # fmt: skip
    assert {s["rule"] for s in found.sequence} == {"usual order"}
    assert advice[("brand", "retail")]["advice"] == (
        "Brand then Retail Sales, at least 48 h apart: 2 customers were hit by both within 48 h"
    )
    assert advice[("retail", "mag")]["advice"].endswith("1 customer was hit by both within 48 h")


def test_the_sequence_puts_the_clearly_better_response_first() -> None:
    units = ov.Units("department", ["a", "b"], ["Alpha", "Beta"], {"a": "a", "b": "b"})
    pair = {"unit_a": "a", "unit_b": "b", "customers": 50, "a_first": 40, "b_first": 10}

    def advice(hits_a: int, hits_b: int) -> dict[str, Any]:
        response = [
            {"unit": "a", "responded": hits_a, "contacts": 400, "response_rate": hits_a / 400},
            {"unit": "b", "responded": hits_b, "contacts": 400, "response_rate": hits_b / 400},
        ]
        (row,) = _sequence(units, [pair], response, 24)
        return row

    # 40/400 vs 10/400: z = 4.4, Beta's response is clearly worse, Alpha first.
    assert (advice(40, 10)["first"], advice(40, 10)["rule"]) == ("a", "better response")
    # 10/400 vs 40/400: Beta first, although Alpha usually goes first.
    assert (advice(10, 40)["first"], advice(10, 40)["rule"]) == ("b", "better response")
    # 12/400 vs 10/400: z = 0.4, no clear difference: the usual order (Alpha 40 of 50).
    assert (advice(12, 10)["first"], advice(12, 10)["rule"]) == ("a", "usual order")
    assert advice(40, 10)["advice"] == (
        "Alpha then Beta, at least 24 h apart: 50 customers were hit by both within 24 h"
    )


# --- cross-sell ------------------------------------------------------------------------------


def _check_cross_sell(graph: GraphStore, ref: Reference, top: int = 10, **period: Any) -> list:
    got = ov.cross_sell_candidates(graph, by=ref.by, top=top, **period)
    want = ref.cross_sell(top=top, **period)
    assert [(g["unit"], g["customer_id"]) for g in got] == [
        (w["unit"], w["customer_id"]) for w in want
    ]
    for g, w in zip(got, want, strict=True):
        assert g["lift"] == pytest.approx(w["lift"])
        assert (g["profile_buyers"], g["profile_customers"]) == (
            w["profile_buyers"],
            w["profile_customers"],
        )
        assert sorted(g["active_with"]) == w["active_with"]
    return got


def test_cross_sell_by_hand(hand: GraphStore) -> None:
    got = _check_cross_sell(hand, Reference(hand_data()))
    # Magazines' one buyer (person 1) is in the premium/Hobbyist/North cell of 4 people:
    # rate (1 + 20 * 1/9) / (4 + 20) against 1/9 overall: lift 1.2083.
    mag = [g for g in got if g["unit"] == "mag"]
    assert [g["customer_id"] for g in mag] == [cid(3), *sorted([cid(2), cid(8)])]  # 3 contacts
    assert mag[0]["lift"] == pytest.approx((1 + 20 / 9) / 24 * 9)
    assert mag[0]["reason"] == (
        "segment=premium, persona=Hobbyist, region=North: 1 of 4 such customers bought from "
        "Magazines, 11.1% of all customers did (lift 1.21); active with Brand, Retail Sales"
    )
    # Retail's buyers hold its accounts (2 and 8); 1 and 3 share their cell and are active.
    assert sorted(g["customer_id"] for g in got if g["unit"] == "retail") == sorted(
        [cid(1), cid(3)]
    )
    assert {g["unit"] for g in got} == {"mag", "retail"}  # nobody else has buyers
    # Before 2026-06-30 person 8's account (opened in December) is not a purchase yet.
    _check_cross_sell(hand, Reference(hand_data()), until=dt.date(2026, 6, 30))
    _check_cross_sell(hand, Reference(hand_data()), top=1, since=dt.date(2026, 1, 1))


# --- a random graph, every figure against the reference --------------------------------------


def random_data(seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    departments = [
        ("d1", "One", "North"),
        ("d2", "Two", "North"),
        ("d3", "Three", "South"),
        ("d4", "Four", "South"),
        ("d5", "Five", ""),
    ]
    campaigns = [
        (f"K{i}", rng.choice(departments)[0], f"2026-03-{rng.randint(1, 20):02d}" if i % 4 else "")
        for i in range(1, 8)
    ]
    people = 40
    profiles = {
        n: (rng.choice(["a", "b"]), rng.choice(["x", "y", ""]), rng.choice(["N", "S"]))
        for n in range(1, people + 1)
    }
    members = sorted(
        {
            (k, rng.randint(1, people), rng.choice(["", f"2026-03-{rng.randint(1, 28):02d}"]))
            for k, _, _ in campaigns
            for _ in range(8)
        }
    )
    seen = set()
    members = [m for m in members if (m[0], m[1]) not in seen and not seen.add((m[0], m[1]))]
    start = dt.datetime(2026, 3, 1)
    touchpoints = []
    for i in range(260):
        when = start + dt.timedelta(seconds=rng.randint(0, 30 * 86400))
        kind = rng.choice(["email_open", "call", "purchase", "bounce", "ticket", "social"])
        dept = rng.choice(["", "", *(d for d, _, _ in departments)])
        campaign = rng.choice(["", "", *(k for k, _, _ in campaigns)])
        value = str(rng.choice([5, 20, 0])) if kind == "purchase" else ""
        outcome = rng.choice(["", "", "no_answer", "refunded", "completed"])
        touchpoints.append(
            (f"R{i}", rng.randint(1, people), when.isoformat(), kind, dept, campaign, value,
             outcome)
        )  # fmt: skip
    accounts = [
        (f"A{i}", rng.choice(departments)[0], rng.choice(["", "2026-03-10", "2026-04-20"]),
         rng.randint(1, people))
        for i in range(12)
    ]  # fmt: skip
    return {
        "departments": departments,
        "campaigns": campaigns,
        "profiles": profiles,
        "members": members,
        "touchpoints": touchpoints,
        "accounts": accounts,
    }


def test_a_random_graph_matches_the_reference(store: GraphStore, tmp_path: Path) -> None:
    data = random_data()
    load(store, tmp_path, data)
    for by in ("department", "division"):
        ref = Reference(data, by=by)
        for period in ({}, {"since": dt.date(2026, 3, 10), "until": dt.date(2026, 3, 20)}):
            _check_overlap(store, ref, **period)
            for hours in (6, 48):
                _check_collisions(store, ref, hours, **period)
            _check_cross_sell(store, ref, top=3, **period)
    assert ov.contact_collisions(store, window_hours=48).customers > 5  # the test tests something


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_collisions_of_september_7_to_10(store: GraphStore, tmp_path: Path) -> None:
    from graph360.demo import CAMPAIGNS, COLLISION_CAMPAIGNS, describe_demo, generate_demo

    load_bundle(store, generate_demo(tmp_path / "demo", customers=200), rejects_path=tmp_path / "r")
    first, last = (dt.date.fromisoformat(d) for d in describe_demo()["collision_window"])
    found = ov.contact_collisions(store, since=first, until=last)
    running = {c[3] for c in CAMPAIGNS if c[0] in COLLISION_CAMPAIGNS}
    assert len(running) == 5
    pairs = {(p["unit_a"], p["unit_b"]): p["customers"] for p in found.pairs}
    # Every clash of those four days is between two departments running the six campaigns, and
    # the four that e-mailed overlapping lists all clash with each other.
    assert {u for pair in pairs for u in pair} <= running
    mailers = sorted({"retail_sales", "magazines", "lifecycle_crm", "newsroom"})
    assert set(combinations(mailers, 2)) <= set(pairs)
    assert any("business_sales" in pair for pair in pairs)  # the renewals call-round
    # Those four days hold most of the clashes of the whole eighteen months.
    everything = ov.contact_collisions(store)
    assert found.customers >= 0.8 * everything.customers > 0
    quiet = ov.contact_collisions(store, since=dt.date(2026, 8, 1), until=dt.date(2026, 9, 5))
    assert quiet.customers < found.customers / 5


# --- the command -----------------------------------------------------------------------------


def test_the_overlap_command(tmp_path: Path) -> None:
    db = str(tmp_path / "g.lbug")
    with open_store(db) as graph:
        load(graph, tmp_path, hand_data())
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, ["overlap", "--store", db, *args], catch_exceptions=False)

    out = json.loads(run("--format", "json").stdout)
    assert list(out) == ["by", "since", "until", "window_hours", "units", "pairs",
                         "intersections", "collisions", "offenders", "sequence",
                         "cross_sell", "sequence_left_out_by_consent",
                         "cross_sell_left_out_by_consent"]  # fmt: skip
    assert out["collisions"]["customers"] == 4
    assert out["offenders"][0]["customer_id"] == cid(3)
    by_division = json.loads(
        run("--by", "division", "--since", "2026-01-01", "--until", "2026-01-31",
            "--format", "json", "-s", "pairs").stdout
    )  # fmt: skip
    assert set(by_division) == {"by", "since", "until", "window_hours", "pairs"}
    assert by_division["until"] == "2026-02-01T00:00:00"  # the whole of January 31 included
    csv_out = run("--format", "csv", "--section", "collisions").stdout.splitlines()
    assert csv_out[0].startswith("unit_a,unit_b,name_a,name_b,customers,a_first")
    assert len(csv_out) == 1 + 4
    refused = runner.invoke(app, ["overlap", "--store", db, "--format", "csv"])
    assert refused.exit_code == 2 and "--section" in refused.output
    bad = runner.invoke(app, ["overlap", "--store", db, "--since", "last tuesday"])
    assert bad.exit_code == 2
    picture = tmp_path / "overlap.png"
    shown = run("--plot", str(picture), "--window-hours", "47.5")
    assert shown.exit_code == 0
    assert "Brand then Retail Sales, at least 47.5 h apart" in shown.stdout
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parse_when() -> None:
    assert ov.parse_when("2026-09-07") == dt.date(2026, 9, 7)
    assert ov.parse_when("2026-09-07T10:30") == dt.datetime(2026, 9, 7, 10, 30)
    assert ov.parse_when("2026-09-07T10:30+01:00") == dt.datetime(2026, 9, 7, 9, 30)
    assert ov.parse_when(None) is None
    with pytest.raises(ValueError):
        ov.parse_when("yesterday")
