"""Engagement, value and the rules answer the same from the facts projection as from direct
multi-hop Cypher, on random small graphs (hypothesis); and the remarks table's exact answer."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from helpers import TINY
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from graph360 import facts
from graph360.analytics import routing, value
from graph360.analytics.engagement import report as engagement_report
from graph360.facts.tables import REMARKS, micros
from graph360.ingest.load import load_bundle
from graph360.store import GraphStore, open_store
from tests.test_facts import _no_nan

PROPERTY = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
START = dt.datetime(2026, 3, 2)  # a Monday
AS_OF = dt.datetime(2026, 3, 14)

KINDS = [
    "email_sent", "email_open", "open", "email_click", "bounce", "sms_sent", "sms_click",
    "call", "page_view", "purchase", "survey", "nps", "ticket", "complaint", "reply",
]  # fmt: skip
CHANNELS = ["email", "sms", "phone", "web", "survey"]
OUTCOMES = [None, "connected", "voicemail", "resolved", "Closed", "open", "Refunded", "pending"]


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    """Customers, departments, owned steps, campaigns run by departments, accounts held in
    roles, and touchpoints of every kind the three analytics read, at random."""
    n_customers = draw(st.integers(1, 6))
    n_departments = draw(st.integers(1, 3))
    n_steps = draw(st.integers(0, 3))
    n_campaigns = draw(st.integers(0, 3))
    maybe = st.one_of
    touchpoint = st.fixed_dictionaries(
        {
            "customer": maybe(st.none(), st.integers(0, n_customers - 1)),
            "hours": st.integers(0, 12 * 24),
            "kind": st.sampled_from(KINDS),
            "channel": st.sampled_from(CHANNELS),
            "outcome": st.sampled_from(OUTCOMES),
            "value": st.sampled_from([None, 0.0, 12.5, 40.0]),
            "rating": st.sampled_from([None, (1.0, 5), (5.0, 5), (3.0, 5), (6.0, 10), (9.0, 10)]),
            "resolution": st.sampled_from([None, "", "refund issued"]),
            "campaign": maybe(st.none(), st.integers(0, max(n_campaigns - 1, 0))),
            "handled": maybe(st.none(), st.integers(0, n_departments - 1)),
            "steps": st.lists(st.integers(0, max(n_steps - 1, 0)), max_size=2, unique=True),
        }
    )
    return {
        "customers": n_customers,
        "departments": n_departments,
        "steps": n_steps,
        "campaigns": n_campaigns,
        "owners": draw(
            st.lists(
                st.tuples(st.integers(0, max(n_steps - 1, 0)), st.integers(0, n_departments - 1)),
                max_size=4,
                unique=True,
            )
        ),
        "runs": draw(
            st.lists(st.integers(0, n_departments - 1), min_size=n_campaigns, max_size=n_campaigns)
        ),
        "accounts": draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["active", "Active", "lapsed"]),
                    st.sampled_from([None, 100.0, 250.0]),
                    st.lists(
                        st.tuples(
                            st.integers(0, n_customers - 1),
                            st.sampled_from([None, "owner", "member", "Admin"]),
                        ),
                        min_size=1,
                        max_size=3,
                        unique_by=lambda h: h[0],
                    ),
                ),
                max_size=3,
            )
        ),
        "touchpoints": draw(st.lists(touchpoint, max_size=40)),
        "scores": draw(
            st.lists(
                st.tuples(st.sampled_from([0.0, 50.0, 900.0]), st.sampled_from([0.0, 0.4, 0.8])),
                min_size=n_customers,
                max_size=n_customers,
            )
        ),
    }


def _tp(customer: int | None, hours: int, kind: str, channel: str, **rest: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "hours": hours,
        "kind": kind,
        "channel": channel,
        "outcome": None,
        "value": None,
        "rating": None,
        "resolution": None,
        "campaign": None,
        "handled": None,
        "steps": [],
    } | rest


#: One graph with a case of each thing the paths could disagree on, always tried first.
EVERY_CASE = {
    "customers": 3,
    "departments": 2,
    "steps": 2,
    "campaigns": 2,
    "owners": [(0, 1), (1, 0), (1, 1)],
    "runs": [0, 1],
    "accounts": [("active", 100.0, [(0, "owner"), (1, "member")]), ("Active", 250.0, [(2, None)])],
    "touchpoints": [
        _tp(0, 5, "page_view", "web", campaign=0, handled=1),  # handled beats the campaign's
        _tp(1, 6, "page_view", "web", campaign=1),  # the campaign's department
        _tp(0, 10, "email_sent", "email", campaign=0),
        _tp(0, 12, "email_open", "email", campaign=0),  # answers the send above
        _tp(1, 10, "email_sent", "email"),
        _tp(1, 11, "bounce", "email"),  # undoes it
        _tp(2, 30, "email_open", "email", campaign=1),  # answers nothing
        _tp(None, 31, "email_open", "email"),  # nobody's: no send answers it
        _tp(2, 40, "call", "phone", outcome="connected", handled=0),
        _tp(2, 41, "call", "phone", outcome="voicemail"),
        _tp(0, 50, "purchase", "web", value=40.0),
        _tp(0, 52, "purchase", "web", value=12.5, outcome="Refunded"),  # void, in any case
        _tp(1, 60, "purchase", "web", value=40.0, outcome="pending"),
        _tp(None, 61, "purchase", "web", value=40.0),  # nobody's purchase
        _tp(0, 70, "survey", "survey", rating=(1.0, 5), steps=[1, 0]),  # at two steps
        _tp(1, 71, "nps", "survey", rating=(9.0, 10), steps=[0]),
        _tp(2, 72, "survey", "survey", rating=(6.0, 10)),  # at no step
        _tp(None, 73, "survey", "survey", rating=(1.0, 5)),  # nobody's rating
        _tp(0, 80, "ticket", "support", outcome="open"),
        _tp(1, 81, "ticket", "support", resolution="refund issued"),  # resolved by it
        _tp(2, 82, "complaint", "support", outcome="Closed"),
    ],
    "scores": [(900.0, 0.8), (50.0, 0.4), (0.0, 0.0)],
}


def _write(store: GraphStore, data: dict[str, Any], *, scores: bool) -> None:
    """``data`` into ``store``, in one transaction with the version bumped (as a load)."""
    people = [f"c{i}" for i in range(data["customers"])]
    departments = [f"d{i}" for i in range(data["departments"])]
    steps = [f"s{i}" for i in range(data["steps"])]
    campaigns = [f"k{i}" for i in range(data["campaigns"])]
    tps = data["touchpoints"]
    ids = [f"t{i:03d}" for i in range(len(tps))]

    def rels(rel_type: str, pairs: list[tuple[Any, ...]], **props: list[Any]) -> None:
        if pairs:
            columns = {"from": [p[0] for p in pairs], "to": [p[1] for p in pairs]}
            store.upsert_relationships(rel_type, pa.table(columns | props))

    with store.atomic():
        customers: dict[str, Any] = {"customer_id": people}
        if scores:
            customers |= {
                "current_value": [s[0] for s in data["scores"]],
                "potential_value": [s[0] * 2 for s in data["scores"]],
                "at_risk": [s[1] for s in data["scores"]],
                "value_at": [AS_OF] * len(people),
            }
        store.upsert_nodes("Customer", pa.table(customers))
        store.upsert_nodes(
            "Department",
            pa.table({"department_id": departments, "name": [d.upper() for d in departments]}),
        )
        if steps:
            store.upsert_nodes(
                "JourneyStep", pa.table({"step_id": steps, "name": [f"Step {s}" for s in steps]})
            )
            rels("OWNED_BY", [(steps[s], departments[d]) for s, d in data["owners"]])
        if campaigns:
            store.upsert_nodes(
                "Campaign",
                pa.table({"campaign_id": campaigns, "channel": ["email"] * len(campaigns)}),
            )
            rels(
                "RUN_BY",
                [(k, departments[d]) for k, d in zip(campaigns, data["runs"], strict=True)],
            )
        accounts = [f"a{i}" for i in range(len(data["accounts"]))]
        if accounts:
            store.upsert_nodes(
                "Account",
                pa.table(
                    {
                        "account_id": accounts,
                        "status": [a[0] for a in data["accounts"]],
                        "value": pa.array([a[1] for a in data["accounts"]], pa.float64()),
                        "opened_at": [START] * len(accounts),
                    }
                ),
            )
            holds = [
                (people[c], a, role)
                for a, acc in zip(accounts, data["accounts"], strict=True)
                for c, role in acc[2]
            ]
            rels("HOLDS", [h[:2] for h in holds], role=pa.array([h[2] for h in holds], pa.string()))
        if tps:
            store.upsert_nodes(
                "Touchpoint",
                pa.table(
                    {
                        "touchpoint_id": ids,
                        "at": [START + dt.timedelta(hours=t["hours"]) for t in tps],
                        "kind": [t["kind"] for t in tps],
                        "channel": [t["channel"] for t in tps],
                        "outcome": pa.array([t["outcome"] for t in tps], pa.string()),
                        "value": pa.array([t["value"] for t in tps], pa.float64()),
                        "rating": pa.array(
                            [t["rating"] and t["rating"][0] for t in tps], pa.float64()
                        ),
                        "rating_scale": pa.array(
                            [t["rating"] and t["rating"][1] for t in tps], pa.int64()
                        ),
                        "resolution": pa.array([t["resolution"] for t in tps], pa.string()),
                        "text": [f"about {i}" for i in ids],
                    }
                ),
            )
            rels(
                "HAD",
                [
                    (people[t["customer"]], i)
                    for t, i in zip(tps, ids, strict=True)
                    if t["customer"] is not None
                ],
            )
            rels(
                "HANDLED_BY",
                [
                    (i, departments[t["handled"]])
                    for t, i in zip(tps, ids, strict=True)
                    if t["handled"] is not None
                ],
            )
            if campaigns:
                rels(
                    "FROM_CAMPAIGN",
                    [
                        (i, campaigns[t["campaign"]])
                        for t, i in zip(tps, ids, strict=True)
                        if t["campaign"] is not None
                    ],
                )
            if steps:
                rels(
                    "AT_STEP",
                    [(i, steps[s]) for t, i in zip(tps, ids, strict=True) for s in t["steps"]],
                )
        facts.bump_version(store)


def _with_store(data: dict[str, Any], check: Any, *, scores: bool = False) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(str(Path(folder) / "g.lbug"))
        try:
            _write(store, data, scores=scores)
            check(store)
        finally:
            store.close()


def _answer(report: Any, stamp: str = "as_of") -> dict[str, Any]:
    found = report.to_dict()
    found.pop(stamp)
    return _no_nan(found)


@PROPERTY
@given(data=graphs())
@example(data=EVERY_CASE)
def test_engagement_from_facts_is_engagement_from_cypher(data: dict[str, Any]) -> None:
    def check(store: GraphStore) -> None:
        if not data["touchpoints"]:
            return
        for asked in (
            {},
            {"by": "department", "min_volume": 1},
            {"since": START + dt.timedelta(days=2), "until": START + dt.timedelta(days=6)},
            {"timezone": "Europe/London", "min_volume": 1, "attribution_days": 1.0},
        ):
            ours = engagement_report.engagement(store, **asked)
            direct = engagement_report.engagement(store, use_facts=False, **asked)
            assert ours.as_of is not None and direct.as_of is None
            assert _answer(ours) == _answer(direct), asked

    _with_store(data, check)


@PROPERTY
@given(data=graphs())
@example(data=EVERY_CASE)
def test_value_from_facts_is_value_from_cypher(data: dict[str, Any]) -> None:
    def check(store: GraphStore) -> None:
        ours = value.compute_values(store, AS_OF)
        direct = value.compute_values(store, AS_OF, use_facts=False)
        order = ["customer_id"]
        pd.testing.assert_frame_equal(
            ours.sort_values(order).reset_index(drop=True),
            direct.astype({"customer_id": object}).sort_values(order).reset_index(drop=True),
            check_dtype=False,
        )
        stored = value.update_values(store, as_of=AS_OF, top=3)
        assert stored.graph_as_of is not None
        again = value.update_values(store, as_of=AS_OF, top=3, use_facts=False)
        assert again.graph_as_of is None
        assert _answer(stored, "graph_as_of") == _answer(again, "graph_as_of")

    _with_store(data, check)


@PROPERTY
@given(data=graphs(), scored=st.booleans())
@example(data=EVERY_CASE, scored=True)
@example(data=EVERY_CASE, scored=False)
def test_rules_from_facts_are_rules_from_cypher(data: dict[str, Any], scored: bool) -> None:
    def check(store: GraphStore) -> None:
        for _ in range(2):  # the second run finds the first one's flags and actions
            ours = routing.run_rules(store, now=AS_OF, dry_run=True)
            direct = routing.run_rules(store, now=AS_OF, dry_run=True, use_facts=False)
            assert ours.as_of is not None and direct.as_of is None
            assert _answer(ours) == _answer(direct)
            routing.run_rules(store, now=AS_OF)

    _with_store(data, check, scores=scored)


def test_facts_remarks(store: GraphStore) -> None:
    """Every rated touchpoint and every complaint, in touchpoint-code order, with its key,
    text and resolution."""
    load_bundle(store, TINY)
    projection = facts.build(store)
    touchpoints = store.all_nodes("Touchpoint")
    touchpoints = touchpoints.astype(object).where(touchpoints.notna(), None)
    wanted = touchpoints[
        touchpoints["rating"].notna() | touchpoints["kind"].isin(routing.COMPLAINT_KINDS)
    ]
    remarks = projection.tables[REMARKS]
    got = sorted(
        zip(
            remarks.column("key").to_pylist(),
            remarks.column("text").to_pylist(),
            remarks.column("resolution").to_pylist(),
            strict=True,
        )
    )
    expected = sorted(
        zip(wanted["touchpoint_id"], wanted["text"], wanted["resolution"], strict=True)
    )
    assert got == expected and got
    codes = remarks.column("touchpoint").to_pylist()
    assert codes == sorted(codes)
    at = projection.column("touchpoints", "at")
    by_key = touchpoints.set_index("touchpoint_id")["at"]
    for code, key in zip(codes, remarks.column("key").to_pylist(), strict=True):
        assert at[code] == micros(by_key[key].to_pydatetime())


def test_the_audits_times_reach_outside_nanoseconds() -> None:
    """A touchpoint in 1178 (valid, and one the API fuzzer recorded) gave the audit an
    OverflowError: its first and last times are kept in microseconds."""
    from graph360.facts.ownership import _times
    from graph360.facts.tables import NO_TIME

    stamps = _times(np.array([-24_996_782_395_998_908, NO_TIME, 1_700_000_000_000_000]))
    assert stamps[0].year == 1177 and pd.isna(stamps[1]) and stamps[2].year == 2023
