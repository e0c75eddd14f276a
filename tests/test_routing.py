"""Flags and routing: thresholds, routing to owners / conflicts / the fallback, idempotence.

The graph (``build``): departments alpha, beta and customer_care; steps ``owned`` (beta),
``conflict`` (beta and alpha: alpha, first by id, takes it) and ``unowned``. Customers and what
each one must trigger are listed beside their touchpoints; value scores are written on the
customers directly, as ``graph360 value`` would.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from helpers import BACKENDS, empty_store, snapshot
from typer.testing import CliRunner

from graph360 import facts
from graph360.analytics.routing import (
    due_at,
    poor_rating,
    promoter,
    run_rules,
    unresolved,
)
from graph360.cli import app
from graph360.errors import NotFoundError
from graph360.store import GraphStore, open_store

NOW = dt.datetime(2026, 10, 1, 12, 0)
SCORED = dt.datetime(2026, 9, 30)


def table(rows: list[dict[str, Any]]) -> pa.Table:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist([{k: row.get(k) for k in keys} for row in rows])


def put(store: GraphStore, label: str, rows: list[dict[str, Any]]) -> None:
    """Write nodes as a load would: with the graph's version bumped (the facts follow it)."""
    with store.atomic():
        store.upsert_nodes(label, table(rows))
        facts.bump_version(store)


def link(store: GraphStore, rel_type: str, pairs: list[tuple[str, str]]) -> None:
    with store.atomic():
        store.upsert_relationships(rel_type, table([{"from": a, "to": b} for a, b in pairs]))
        facts.bump_version(store)


def rating(tid: str, at: str, value: float, scale: int) -> dict[str, Any]:
    return {
        "touchpoint_id": tid,
        "at": dt.datetime.fromisoformat(at),
        "kind": "survey",
        "rating": value,
        "rating_scale": scale,
    }


def ticket(tid: str, outcome: str | None, resolution: str | None = None, kind: str = "ticket"):
    return {
        "touchpoint_id": tid,
        "at": dt.datetime(2026, 9, 20, 9),
        "kind": kind,
        "outcome": outcome,
        "resolution": resolution,
        "text": f"subject of {tid}",
    }


TOUCHPOINTS = {
    "P": [
        rating("p-2of5", "2026-09-04T14:00", 2, 5),  # poor, at the owned step -> beta
        rating("p-3of5", "2026-09-05T10:00", 3, 5),  # not poor
        ticket("p-open", "open"),  # red
    ],
    "Q": [
        rating("q-6nps", "2026-09-05T10:00", 6, 10),  # poor, conflict step -> alpha
        rating("q-7nps", "2026-09-06T10:00", 7, 10),  # passive: not poor
        ticket("q-closed", "Closed"),
    ],
    "R": [
        rating("r-unowned", "2026-09-07T08:30", 1, 5),  # poor, unowned step -> fallback, gap
        rating("r-nostep", "2026-09-08T09:00", 0, 10),  # poor, no step -> fallback, gap
        ticket("r-silent", None, "Refund issued"),  # no outcome but a resolution: resolved
    ],
    "S": [
        rating("s-8nps", "2026-09-01T10:00", 8, 10),  # not a promoter
        ticket("s-nothing", None, None, kind="complaint"),  # says nothing: unresolved, red
    ],
    "V": [rating("v-4of5", "2026-08-01T10:00", 4, 5), rating("v-9nps", "2026-09-01T10:00", 9, 10)],
    "W": [rating("w-5of5", "2026-08-01T10:00", 5, 5), rating("w-4of5", "2026-09-01T10:00", 4, 5)],
}
STEPS = {
    "p-2of5": "owned",
    "p-3of5": "owned",
    "q-6nps": "conflict",
    "q-7nps": "conflict",
    "r-unowned": "unowned",
    "s-8nps": "owned",
}
#: customer -> (current_value, potential_value, at_risk); F0-F3 only fill the population
SCORES = {
    "P": (0.0, 0.0, 0.5),  # exactly at the threshold: not amber
    "Q": (10.0, 10.0, 0.51),  # amber
    "R": (20.0, 20.0, 0.0),
    "S": (1000.0, 100.0, 0.0),  # top current value, but 8/10 is no promoter
    "V": (900.0, 5000.0, 0.0),  # promoter (latest 9/10), top potential: green
    "W": (1000.0, 100.0, 0.0),  # top current value, but the latest rating is 4/5
    **{f"F{i}": (0.0, 0.0, 0.0) for i in range(4)},
}


def build(store: GraphStore, *, departments: bool = True, care: bool = True) -> None:
    if departments:
        ids = ["alpha", "beta", *(["customer_care"] if care else [])]
        put(store, "Department", [{"department_id": d, "name": d.title()} for d in ids])
    put(
        store,
        "JourneyStep",
        [{"step_id": s, "name": f"Step {s}"} for s in ("owned", "conflict", "unowned")],
    )
    if departments:
        link(store, "OWNED_BY", [("owned", "beta"), ("conflict", "beta"), ("conflict", "alpha")])
    put(store, "Customer", [{"customer_id": c} for c in SCORES])
    put(store, "Touchpoint", [t for ts in TOUCHPOINTS.values() for t in ts])
    link(store, "HAD", [(c, t["touchpoint_id"]) for c, ts in TOUCHPOINTS.items() for t in ts])
    link(store, "AT_STEP", list(STEPS.items()))


def score(store: GraphStore, scores: dict[str, tuple[float, float, float]] = SCORES) -> None:
    put(
        store,
        "Customer",
        [
            {
                "customer_id": c,
                "current_value": cur,
                "potential_value": pot,
                "at_risk": risk,
                "value_at": SCORED,
            }
            for c, (cur, pot, risk) in scores.items()
        ],
    )


def flags(store: GraphStore) -> dict[str, str]:
    frame = store.all_nodes("Flag")
    return dict(zip(frame["flag_id"], frame["status"], strict=True))


def assigned(store: GraphStore) -> dict[str, str]:
    frame = store.all_relationships("ASSIGNED_TO")
    return dict(zip(frame["from"], frame["to"], strict=True))


# --- definitions ----------------------------------------------------------------------------


def test_poor_and_promoter_thresholds() -> None:
    assert poor_rating([1, 2, 3, 4, 5], [5] * 5).tolist() == [True, True, False, False, False]
    assert poor_rating([0, 6, 7, 9], [10] * 4).tolist() == [True, True, False, False]
    assert promoter([4, 5], [5, 5]).tolist() == [False, True]
    assert promoter([8, 9, 10], [10] * 3).tolist() == [False, True, True]
    # another scale, or no scale: neither poor nor a promoter
    assert poor_rating([1, 1], [7, None]).tolist() == [False, False]
    assert promoter([7, 10], [7, None]).tolist() == [False, False]


def test_unresolved_complaints() -> None:
    outcome = ["open", "waiting", "Resolved", " closed ", "solved", None, None, ""]
    resolution = [None, "x", None, None, None, "Refund issued", None, None]
    assert unresolved(outcome, resolution).tolist() == [
        True,
        True,
        False,
        False,
        False,
        False,
        True,
        True,
    ]


def test_due_at_counts_working_days() -> None:
    at = pd.Series(
        pd.to_datetime(
            ["2026-09-04 14:00", "2026-09-05 10:00", "2026-09-07 08:30", "2026-09-10 16:00"]
        )
    )
    # Fri -> Tue; Sat counts from Mon -> Wed; Mon -> Wed; Thu -> Mon
    assert due_at(at).tolist() == list(
        pd.to_datetime(
            ["2026-09-08 14:00", "2026-09-09 10:00", "2026-09-09 08:30", "2026-09-14 16:00"]
        )
    )


# --- rules on the graph ---------------------------------------------------------------------


def test_flags_actions_and_routing(store: GraphStore) -> None:
    build(store)
    score(store)
    counts = store.counts()
    dry = run_rules(store, now=NOW, dry_run=True)
    assert store.counts() == counts  # a dry run writes nothing, and reports the same
    report = run_rules(store, now=NOW)
    assert dry.dry_run and not report.dry_run
    assert dry.to_dict() | {"dry_run": False} == report.to_dict()
    assert report.flags == {
        "red": {"raised": 6, "kept": 0, "resolved": 0},
        "amber": {"raised": 1, "kept": 0, "resolved": 0},
        "green": {"raised": 1, "kept": 0, "resolved": 0},
    }
    assert flags(store) == {
        "flag:unresolved_complaint:P:p-open": "open",
        "flag:unresolved_complaint:S:s-nothing": "open",
        "flag:poor_rating:P:p-2of5": "open",
        "flag:poor_rating:Q:q-6nps": "open",
        "flag:poor_rating:R:r-unowned": "open",
        "flag:poor_rating:R:r-nostep": "open",
        "flag:at_risk:Q": "open",
        "flag:vip_candidate:V": "open",
    }
    flagged = store.all_relationships("FLAGGED")
    assert sorted(zip(flagged["from"], flagged["to"], strict=True)) == sorted(
        (f.split(":")[2], f) for f in flags(store)
    )
    every = store.all_nodes("Flag").set_index("flag_id")
    assert every.loc["flag:poor_rating:P:p-2of5", "severity"] == "red"
    assert every.loc["flag:poor_rating:P:p-2of5", "raised_at"] == dt.datetime(2026, 9, 4, 14)
    assert (
        "2/5 on p-2of5 (2026-09-04) at step Step owned"
        in every.loc["flag:poor_rating:P:p-2of5", "reason"]
    )
    assert "status open" in every.loc["flag:unresolved_complaint:P:p-open", "reason"]
    assert every.loc["flag:at_risk:Q", "reason"].startswith("at-risk score 0.51 is above 0.50")
    assert every.loc["flag:at_risk:Q", "raised_at"] == NOW
    assert every.loc["flag:vip_candidate:V", "reason"] == (
        "promoter: 9/10 on v-9nps (2026-09-01), with potential value 5000.00 (top 10%: >= 590.00)"
    )  # potentials 0 x6, 10, 20, 100, 100, 5000: the 0.9 quantile is 100 + 0.1 x 4900

    assert assigned(store) == {
        "action:poor_rating:p-2of5": "beta",
        "action:poor_rating:q-6nps": "alpha",
        "action:poor_rating:r-unowned": "customer_care",
        "action:poor_rating:r-nostep": "customer_care",
    }
    actions = store.all_nodes("Action").set_index("action_id")
    first = actions.loc["action:poor_rating:p-2of5"]
    assert (first["kind"], first["status"]) == ("follow up poor rating", "outstanding")
    assert first["due_at"] == dt.datetime(2026, 9, 8, 14)  # Friday + 2 working days
    assert first["created_at"] == NOW
    triggered = store.all_relationships("TRIGGERED_BY")
    assert dict(zip(triggered["from"], triggered["to"], strict=True)) == {
        f"action:poor_rating:{t}": t for t in ("p-2of5", "q-6nps", "r-unowned", "r-nostep")
    }
    needs = store.all_relationships("NEEDS")
    assert sorted(zip(needs["from"], needs["to"], strict=True)) == [
        ("P", "action:poor_rating:p-2of5"),
        ("Q", "action:poor_rating:q-6nps"),
        ("R", "action:poor_rating:r-nostep"),
        ("R", "action:poor_rating:r-unowned"),
    ]

    assert (report.actions_created, report.actions_existing) == (4, 0)
    assert report.fallback_department == "customer_care"
    assert report.routed == [
        {"department_id": "alpha", "department": "Alpha", "actions": 1, "created": 1},
        {"department_id": "beta", "department": "Beta", "actions": 1, "created": 1},
        {
            "department_id": "customer_care",
            "department": "Customer_Care",
            "actions": 2,
            "created": 2,
        },
    ]
    assert report.gap_counts == {"unowned step": 1, "no step": 1}
    assert report.gaps == [
        {
            "reason": "no step",
            "step_id": None,
            "step": None,
            "department_id": "customer_care",
            "ratings": 1,
        },
        {
            "reason": "unowned step",
            "step_id": "unowned",
            "step": "Step unowned",
            "department_id": "customer_care",
            "ratings": 1,
        },
    ]
    assert report.conflicts == [
        {
            "step_id": "conflict",
            "step": "Step conflict",
            "owners": ["alpha", "beta"],
            "chosen": "alpha",
            "ratings": 1,
        }
    ]
    assert report.warnings == []


def test_running_twice_changes_nothing_and_causes_that_go_resolve_their_flags(
    store: GraphStore,
) -> None:
    build(store)
    score(store)
    run_rules(store, now=NOW)
    counts = store.counts()
    second = run_rules(store, now=NOW + dt.timedelta(days=1))
    assert store.counts() == counts
    assert second.flags == {
        "red": {"raised": 0, "kept": 6, "resolved": 0},
        "amber": {"raised": 0, "kept": 1, "resolved": 0},
        "green": {"raised": 0, "kept": 1, "resolved": 0},
    }
    assert (second.actions_created, second.actions_existing) == (0, 4)
    assert store.all_nodes("Flag").set_index("flag_id").loc["flag:at_risk:Q", "raised_at"] == NOW

    # the follow-up of p-2of5 is done, p-open is resolved, Q is no longer at risk
    put(store, "Action", [{"action_id": "action:poor_rating:p-2of5", "status": "done"}])
    put(store, "Touchpoint", [{"touchpoint_id": "p-open", "outcome": "resolved"}])
    score(store, {"Q": (10.0, 10.0, 0.2)})
    third = run_rules(store, now=NOW + dt.timedelta(days=2))
    assert store.counts() == counts
    assert third.flags == {
        "red": {"raised": 0, "kept": 4, "resolved": 2},
        "amber": {"raised": 0, "kept": 0, "resolved": 1},
        "green": {"raised": 0, "kept": 1, "resolved": 0},
    }
    assert (third.actions_created, third.actions_existing, third.actions_done) == (0, 4, 1)
    status = flags(store)
    assert status["flag:poor_rating:P:p-2of5"] == "resolved"
    assert status["flag:unresolved_complaint:P:p-open"] == "resolved"
    assert status["flag:at_risk:Q"] == "resolved"
    actions = store.all_nodes("Action").set_index("action_id")["status"]
    assert actions["action:poor_rating:p-2of5"] == "done"  # a done action stays done

    # the cause comes back: the same flag opens again, raised now
    score(store, {"Q": (10.0, 10.0, 0.9)})
    later = NOW + dt.timedelta(days=3)
    fourth = run_rules(store, now=later)
    assert store.counts() == counts
    assert fourth.flags["amber"] == {"raised": 1, "kept": 0, "resolved": 0}
    again = store.all_nodes("Flag").set_index("flag_id").loc["flag:at_risk:Q"]
    assert (again["status"], again["raised_at"]) == ("open", later)


def test_fallback_department(store: GraphStore) -> None:
    build(store, care=False)
    score(store)
    with pytest.raises(NotFoundError, match="no department 'nowhere'"):
        run_rules(store, fallback_department="nowhere", dry_run=True)
    # without customer_care the first department by id takes the gaps
    report = run_rules(store, now=NOW, dry_run=True)
    assert report.fallback_department == "alpha"
    assert {g["department_id"] for g in report.gaps} == {"alpha"}
    run_rules(store, fallback_department="beta", now=NOW)
    routed = assigned(store)
    assert routed["action:poor_rating:r-unowned"] == routed["action:poor_rating:r-nostep"] == "beta"


def test_no_departments_is_a_clear_error_only_when_a_gap_needs_one(store: GraphStore) -> None:
    build(store, departments=False)
    with pytest.raises(NotFoundError, match="no departments"):
        run_rules(store, now=NOW)
    assert store.counts()["nodes"]["Flag"] == 0  # nothing was written


def test_without_value_scores_the_amber_and_green_rules_are_skipped(store: GraphStore) -> None:
    build(store)
    put(
        store,
        "Flag",
        [{"flag_id": "flag:at_risk:Q", "kind": "at_risk", "severity": "amber", "status": "open"}],
    )
    link(store, "FLAGGED", [("Q", "flag:at_risk:Q")])
    report = run_rules(store, now=NOW)
    assert report.flags["amber"] == {"raised": 0, "kept": 0, "resolved": 0}
    assert report.flags["red"]["raised"] == 6
    assert flags(store)["flag:at_risk:Q"] == "open"  # left as it was
    assert "run `graph360 value` first" in report.warnings[0]


# --- the named queries ----------------------------------------------------------------------


@pytest.fixture(params=BACKENDS, scope="module")
def routed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    """The graph, built and scored once per module and backend."""
    graph = empty_store(request.param, tmp_path_factory.mktemp("routed"))
    build(graph)
    score(graph)
    put(graph, "Customer", [{"customer_id": "U"}])  # never scored
    yield graph
    graph.close()


def test_routing_ratings(routed: GraphStore) -> None:
    rows = {r["touchpoint_id"]: r for r in routed.query("routing_ratings")}
    assert set(rows) == {
        t["touchpoint_id"] for ts in TOUCHPOINTS.values() for t in ts if t["kind"] == "survey"
    }
    assert rows["p-2of5"] == {
        "customer_id": "P",
        "touchpoint_id": "p-2of5",
        "at": dt.datetime(2026, 9, 4, 14),
        "kind": "survey",
        "rating": 2.0,
        "rating_scale": 5,
        "step_id": "owned",
        "step": "Step owned",
    }
    assert (rows["r-nostep"]["step_id"], rows["r-nostep"]["step"]) == (None, None)


def test_routing_complaints(routed: GraphStore) -> None:
    rows = routed.query("routing_complaints", kinds=["ticket"])
    assert sorted((r["customer_id"], r["touchpoint_id"], r["outcome"]) for r in rows) == [
        ("P", "p-open", "open"),
        ("Q", "q-closed", "Closed"),
        ("R", "r-silent", None),
    ]
    silent = next(r for r in rows if r["touchpoint_id"] == "r-silent")
    assert (silent["resolution"], silent["text"]) == ("Refund issued", "subject of r-silent")
    assert [
        r["touchpoint_id"] for r in routed.query("routing_complaints", kinds=["complaint"])
    ] == ["s-nothing"]


def test_routing_step_owners(routed: GraphStore) -> None:
    assert routed.query("routing_step_owners") == [
        {"step_id": "conflict", "department_id": "alpha"},
        {"step_id": "conflict", "department_id": "beta"},
        {"step_id": "owned", "department_id": "beta"},
    ]


def test_routing_departments(routed: GraphStore) -> None:
    assert routed.query("routing_departments") == [
        {"department_id": "alpha", "name": "Alpha"},
        {"department_id": "beta", "name": "Beta"},
        {"department_id": "customer_care", "name": "Customer_Care"},
    ]


def test_routing_flags(routed: GraphStore) -> None:
    run_rules(routed, now=NOW)
    rows = routed.query("routing_flags", kinds=["at_risk", "vip_candidate"])
    assert sorted((r["flag_id"], r["customer_id"], r["severity"], r["status"]) for r in rows) == [
        ("flag:at_risk:Q", "Q", "amber", "open"),
        ("flag:vip_candidate:V", "V", "green", "open"),
    ]
    assert {r["raised_at"] for r in rows} == {NOW}
    reasons = {r["flag_id"]: r["reason"] for r in rows}
    assert reasons["flag:at_risk:Q"].startswith("at-risk score 0.51")


def test_routing_actions(routed: GraphStore) -> None:
    run_rules(routed, now=NOW)
    rows = routed.query("routing_actions", kind="follow up poor rating")
    assert sorted((r["action_id"], r["status"], r["department_id"]) for r in rows) == [
        ("action:poor_rating:p-2of5", "outstanding", "beta"),
        ("action:poor_rating:q-6nps", "outstanding", "alpha"),
        ("action:poor_rating:r-nostep", "outstanding", "customer_care"),
        ("action:poor_rating:r-unowned", "outstanding", "customer_care"),
    ]
    assert routed.query("routing_actions", kind="something else") == []


def test_routing_customer_scores(routed: GraphStore) -> None:
    rows = {r["customer_id"]: r for r in routed.query("routing_customer_scores")}
    assert set(rows) == set(SCORES)  # U was never scored
    assert rows["V"] == {
        "customer_id": "V",
        "current_value": 900.0,
        "potential_value": 5000.0,
        "at_risk": 0.0,
        "value_at": SCORED,
    }


# --- the command, and the demo --------------------------------------------------------------


def test_rules_command(tmp_path: Path) -> None:
    db = str(tmp_path / "g.lbug")
    with open_store(db) as graph:
        build(graph)
        score(graph)
    runner = CliRunner()
    dry = runner.invoke(app, ["rules", "--store", db, "--dry-run", "-f", "json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["actions_created"] == 4
    shown = runner.invoke(app, ["rules", "--store", db, "--fallback-department", "beta"])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "actions: 4 created, 0 existing (0 done)" in text
    assert "ownership gaps: 2 (1 at unowned steps, 1 at no step) · conflicts: 1" in text
    rows = runner.invoke(app, ["rules", "--store", db, "-f", "csv"]).stdout.splitlines()
    assert rows[0] == "part,name,measure,count"
    assert "actions,poor rating follow-up,existing,4" in rows
    assert "routed,beta,actions,3" in rows  # its own rating and the two gaps
    refused = runner.invoke(app, ["rules", "--store", db, "--fallback-department", "nowhere"])
    assert refused.exit_code == 1
    assert "no department 'nowhere'" in refused.stderr


@pytest.mark.slow
def test_the_demo_routes_poor_ratings_as_documented(tmp_path: Path) -> None:
    """A 200-customer demo: survey ratings sit at support_survey (owned by lifecycle_crm), at
    review (owned by brand and customer_care: a conflict, brand takes it) or at no step (NPS:
    a gap, to customer_care); no rating sits at the unowned poor_rating_follow_up step (only
    the follow-up calls do)."""
    from graph360.analytics.value import update_values
    from graph360.demo import generate_demo
    from graph360.ingest.load import load_bundle

    bundle = generate_demo(tmp_path / "demo", customers=200)
    with open_store(str(tmp_path / "demo.lbug")) as graph:
        load_bundle(graph, bundle, rejects_path=tmp_path / "rejects.csv")
        update_values(graph, as_of=dt.datetime(2026, 11, 1))
        report = run_rules(graph, now=dt.datetime(2026, 11, 1))
        touchpoints = graph.all_nodes("Touchpoint").set_index("touchpoint_id")
        steps = graph.all_relationships("AT_STEP").set_index("from")["to"]
        routed = assigned(graph)
        assert graph.counts()["nodes"]["Action"] == len(routed)

    rated = touchpoints[touchpoints["rating"].notna()]
    poor = rated[poor_rating(rated["rating"], rated["rating_scale"])]
    where = steps.reindex(poor.index)
    assert set(where.dropna()) == {"support_survey", "review"}
    assert where.isna().any()
    assert "poor_rating_follow_up" in set(steps)  # the step has traffic, just no ratings
    expected = where.map({"support_survey": "lifecycle_crm", "review": "brand"}).fillna(
        "customer_care"
    )
    assert routed == {f"action:poor_rating:{t}": d for t, d in expected.items()}
    assert report.gap_counts == {"unowned step": 0, "no step": int(where.isna().sum())}
    assert report.conflicts == [
        {
            "step_id": "review",
            "step": "Review",
            "owners": ["brand", "customer_care"],
            "chosen": "brand",
            "ratings": int((where == "review").sum()),
        }
    ]


# --- scoped runs ----------------------------------------------------------------------------


def test_a_scoped_run_writes_what_a_full_run_writes_for_its_customers(tmp_path: Path) -> None:
    """Scoping P, Q, R and S (every customer but V, W and the fillers) writes their flags and
    actions exactly as a full run does; V's VIP flag needs the ranking and is left to the full
    run, which then finds nothing else to do."""
    with (
        open_store(str(tmp_path / "full.lbug")) as full,
        open_store(str(tmp_path / "scoped.lbug")) as scoped,
    ):
        for graph in (full, scoped):
            build(graph)
            score(graph)
        run_rules(full, now=NOW)
        report = run_rules(scoped, customer_ids=["P", "Q", "R", "S"], now=NOW)
        assert report.customer_ids == ["P", "Q", "R", "S"]
        assert report.changes is not None
        assert report.changes.flags_raised == sorted(
            f for f in flags(full) if f.split(":")[2] in "PQRS"
        )
        assert [a["action_id"] for a in report.changes.actions_created] == [
            "action:poor_rating:p-2of5",
            "action:poor_rating:q-6nps",
            "action:poor_rating:r-nostep",
            "action:poor_rating:r-unowned",
        ]
        assert report.conflicts == [
            {
                "step_id": "conflict",
                "step": "Step conflict",
                "owners": ["alpha", "beta"],
                "chosen": "alpha",
                "ratings": 1,
            }
        ]
        assert assigned(scoped) == assigned(full)
        assert {f: s for f, s in flags(full).items() if f.split(":")[2] in "PQRS"} == flags(scoped)
        # V: its latest rating is a promoter's; only the full run ranks values
        vip = run_rules(scoped, customer_ids=["V"], now=NOW)
        assert "flag:vip_candidate:V" not in flags(scoped)
        assert "VIP candidacy" in vip.warnings[0]
        second = run_rules(scoped, now=NOW)
        assert second.actions_created == 0
        assert second.flags["green"]["raised"] == 1
        assert sum(c["raised"] for c in second.flags.values()) == 1
        assert snapshot(scoped) == snapshot(full)


def test_a_scoped_run_resolves_a_vip_whose_latest_rating_is_no_longer_a_promoters(
    store: GraphStore,
) -> None:
    build(store)
    score(store)
    run_rules(store, now=NOW)
    assert flags(store)["flag:vip_candidate:V"] == "open"
    put(store, "Touchpoint", [rating("v-late", "2026-09-20T10:00", 5, 10)])
    link(store, "HAD", [("V", "v-late")])
    report = run_rules(store, customer_ids=["V"], now=NOW)
    assert report.changes is not None
    assert report.changes.flags_resolved == ["flag:vip_candidate:V"]
    assert report.changes.flags_raised == ["flag:poor_rating:V:v-late"]
    assert flags(store)["flag:vip_candidate:V"] == "resolved"
    full = run_rules(store, now=NOW)
    assert sum(c["raised"] + c["resolved"] for c in full.flags.values()) == 0


def test_a_scoped_run_of_unknown_or_no_customers_does_nothing(store: GraphStore) -> None:
    build(store)
    score(store)
    counts = store.counts()
    for scope in ([], ["nobody"]):
        report = run_rules(store, customer_ids=scope, now=NOW)
        assert report.changes is not None
        assert report.changes.flags_raised == report.changes.actions_created == []
    assert store.counts() == counts


def test_routing_customer_ratings(routed: GraphStore) -> None:
    rows = routed.query("routing_customer_ratings", customer_id="R")
    assert sorted((r["touchpoint_id"], r["rating"], r["step_id"]) for r in rows) == [
        ("r-nostep", 0.0, None),
        ("r-unowned", 1.0, "unowned"),
    ]
    full = {r["touchpoint_id"]: r for r in routed.query("routing_ratings")}
    assert all(r == full[r["touchpoint_id"]] for r in rows)
    assert routed.query("routing_customer_ratings", customer_id="U") == []


def test_routing_customer_complaints(routed: GraphStore) -> None:
    rows = routed.query("routing_customer_complaints", customer_id="P", kinds=["ticket"])
    assert [(r["touchpoint_id"], r["outcome"], r["text"]) for r in rows] == [
        ("p-open", "open", "subject of p-open")
    ]
    assert routed.query("routing_customer_complaints", customer_id="S", kinds=["ticket"]) == []


def test_routing_customer_score(routed: GraphStore) -> None:
    assert routed.query("routing_customer_score", customer_id="V") == [
        {
            "customer_id": "V",
            "current_value": 900.0,
            "potential_value": 5000.0,
            "at_risk": 0.0,
            "value_at": SCORED,
        }
    ]
    assert routed.query("routing_customer_score", customer_id="U") == []  # never scored


def test_routing_customer_flags(routed: GraphStore) -> None:
    run_rules(routed, now=NOW)
    rows = routed.query("routing_customer_flags", customer_id="R", kinds=["poor_rating"])
    assert sorted((r["flag_id"], r["customer_id"], r["status"]) for r in rows) == [
        ("flag:poor_rating:R:r-nostep", "R", "open"),
        ("flag:poor_rating:R:r-unowned", "R", "open"),
    ]
    assert routed.query("routing_customer_flags", customer_id="R", kinds=["at_risk"]) == []


def test_routing_scored_any(routed: GraphStore, tmp_path: Path) -> None:
    (row,) = routed.query("routing_scored_any")
    assert row["customer_id"] in SCORES
    with open_store(str(tmp_path / "unscored.lbug")) as graph:
        build(graph)
        assert graph.query("routing_scored_any") == []


def test_routing_actions_by_id(routed: GraphStore) -> None:
    run_rules(routed, now=NOW)
    rows = routed.query(
        "routing_actions_by_id",
        action_ids=["action:poor_rating:r-nostep", "action:poor_rating:nothing"],
        kind="follow up poor rating",
    )
    assert rows == [
        {
            "action_id": "action:poor_rating:r-nostep",
            "status": "outstanding",
            "department_id": "customer_care",
        }
    ]
    assert (
        routed.query(
            "routing_actions_by_id", action_ids=["action:poor_rating:r-nostep"], kind="other"
        )
        == []
    )


def test_routing_owners_of_steps(routed: GraphStore) -> None:
    assert routed.query("routing_owners_of_steps", step_ids=["conflict", "unowned"]) == [
        {"step_id": "conflict", "department_id": "alpha"},
        {"step_id": "conflict", "department_id": "beta"},
    ]
    assert routed.query("routing_owners_of_steps", step_ids=[]) == []
