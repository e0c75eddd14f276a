"""The ownership audit on the hand-made journey bundle of tests/test_journeys.py (its docstring
draws the bundle), its named queries, the ``audit`` command's exit codes and report, and the
demo's documented gaps.

Worked by hand, with the value window [2025-06-01, 2026-06-01) (``as_of`` 2026-06-01):

    customers' values in the window: A 80 (a3 50 + a4 30), B 80, D 20, F 10 (its 100 is older),
    G 40; C and E none
    stuck: s1 C; s3 A and G (G's s2 and s3 tie: the further step); s5 B and D; s6 E;
           h1 G; h2 F
    s3 (unowned): stuck value 80 + 40 = 120; touchpoints at s3 in the window 50 + 40 + 25 = 115
       (x2's 1000 is older); A's and G's own 90 counted once: at stake 120 + 115 - 90 = 145
    s4 (owned, nobody stuck): at stake 80 + 20 = 100 (its own purchases)
    s5 (conflict): B 80 + D 20 = 100;  s6: E 0;  h1: G 40;  h2: F 10;  h3: nothing
    likely owners: s3 sales (owns s2 and s4 on both sides); s5 care (handles 1 of its 3
    touchpoints; ops handles 2 but does not own it); s6 mkt (runs the campaign of both
    e-mails); h2 care (handles its call); h3 care (owns h1, the owned step before)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph360.analytics.card import current_journey_steps
from graph360.analytics.journeys import (
    current_steps,
    customer_steps,
    journey_funnel,
    journey_steps,
)
from graph360.analytics.ownership.audit import ownership_audit
from graph360.analytics.ownership.markdown import audit_markdown
from graph360.cli import app
from graph360.cli.base import EXIT_FOUND, EXIT_REFUSED
from graph360.errors import NotFoundError
from graph360.store import GraphStore, open_store
from tests import test_journeys
from tests.test_journeys import A, B, D, F, G, T

AS_OF = dt.datetime(2026, 6, 1)
WINDOW = {"since": dt.datetime(2025, 6, 1), "until": AS_OF}


#: The session-wide fixtures of tests/test_journeys.py: the bundle in a store on each backend,
#: and in a closed database file for the commands.
journeys = test_journeys.journeys
journey_db = test_journeys.journey_db


# --- the named queries ---------------------------------------------------------------------


def test_ownership_step_traffic(journeys: GraphStore) -> None:
    rows = journeys.query("ownership_step_traffic", **WINDOW)
    got = {
        (r["step_id"], r["channel"]): (r["touchpoints"], r["value"], r["window_value"])
        for r in rows
    }
    assert got == {
        ("s1", "web"): (7, 0.0, 0.0),
        ("s2", "web"): (5, 0.0, 0.0),
        ("s3", "web"): (5, 1115.0, 115.0),
        ("s4", "web"): (1, 80.0, 80.0),
        ("s4", "store"): (1, 20.0, 20.0),
        ("s5", "email"): (1, 0.0, 0.0),
        ("s5", "app"): (2, 0.0, 0.0),
        ("s6", "email"): (2, 0.0, 0.0),
        ("h1", "phone"): (1, 0.0, 0.0),
        ("h1", "chat"): (1, 0.0, 0.0),
        ("h2", "phone"): (1, 0.0, 0.0),
    }
    s3 = next(r for r in rows if r["step_id"] == "s3")
    assert (s3["first_at"], s3["last_at"]) == (T("2025-05-01 12:00"), T("2026-01-08 11:00"))


def test_ownership_step_handlers(journeys: GraphStore) -> None:
    rows = journeys.query("ownership_step_handlers")
    got = {(r["step_id"], r["department_id"], r["via"]): r["touchpoints"] for r in rows}
    assert got == {
        ("s4", "sales", "handled"): 2,
        ("s5", "care", "handled"): 1,
        ("s5", "ops", "handled"): 2,
        ("s6", "mkt", "campaign"): 2,
        ("h1", "care", "handled"): 2,
        ("h2", "care", "handled"): 1,
    }
    assert {r["department"] for r in rows if r["department_id"] == "mkt"} == {"Marketing"}


def test_ownership_orphans(journeys: GraphStore) -> None:
    rows = journeys.query("ownership_orphans")
    assert rows == [
        {
            "channel": "email",
            "kind": "email_open",
            "touchpoints": 1,
            "value": 0.0,
            "first_at": T("2026-03-01 08:00"),
            "last_at": T("2026-03-01 08:00"),
        },
        {
            "channel": "web",
            "kind": "purchase",
            "touchpoints": 3,
            "value": 140.0,
            "first_at": T("2025-03-01 12:00"),
            "last_at": T("2026-03-01 12:00"),
        },
    ]


def test_ownership_customer_value(journeys: GraphStore) -> None:
    rows = journeys.query("ownership_customer_value", **WINDOW)
    assert {r["customer_id"]: r["value"] for r in rows} == {
        A: 80.0,
        B: 80.0,
        D: 20.0,
        F: 10.0,
        G: 40.0,
    }


def test_ownership_customer_step_value(journeys: GraphStore) -> None:
    rows = journeys.query("ownership_customer_step_value", **WINDOW)
    got = {(r["customer_id"], r["step_id"]): r["value"] for r in rows}
    assert got == {(A, "s3"): 50.0, (B, "s4"): 80.0, (D, "s4"): 20.0, (G, "s3"): 40.0}


# --- the audit -----------------------------------------------------------------------------


def test_audit_finds_gaps_stuck_customers_and_value_at_stake(journeys: GraphStore) -> None:
    audit = ownership_audit(journeys, as_of=AS_OF)
    assert audit.value_since == dt.datetime(2025, 6, 1)
    assert [j["journey_id"] for j in audit.journeys] == ["empty", "help", "news", "shop"]
    got = {
        s.step_id: (
            s.status,
            s.touchpoints,
            s.customers,
            s.stuck,
            s.stuck_value,
            s.step_value,
            s.value_at_stake,
        )
        for s in audit.steps
    }
    assert got == {
        "h1": ("owned", 2, 2, 1, 40.0, 0.0, 40.0),
        "h2": ("unowned", 1, 1, 1, 10.0, 0.0, 10.0),
        "h3": ("unowned", 0, 0, 0, 0.0, 0.0, 0.0),
        "n1": ("owned", 0, 0, 0, 0.0, 0.0, 0.0),
        "s1": ("owned", 7, 6, 1, 0.0, 0.0, 0.0),
        "s2": ("owned", 5, 5, 0, 0.0, 0.0, 0.0),
        "s3": ("unowned", 5, 3, 2, 120.0, 115.0, 145.0),
        "s4": ("owned", 2, 2, 0, 0.0, 100.0, 100.0),
        "s5": ("conflict", 3, 2, 2, 100.0, 0.0, 100.0),
        "s6": ("unowned", 2, 1, 1, 0.0, 0.0, 0.0),
    }
    assert [s.step_id for s in audit.unowned] == ["h2", "h3", "s3", "s6"]
    assert [(s.step_id, s.owners, s.owner_names) for s in audit.conflicts] == [
        ("s5", ["care", "mkt"], ["Care", "Marketing"])
    ]
    s3 = next(s for s in audit.steps if s.step_id == "s3")
    assert (s3.first_at, s3.last_at) == (T("2025-05-01 12:00"), T("2026-01-08 11:00"))
    assert s3.by_channel == [
        {
            "channel": "web",
            "touchpoints": 5,
            "first_at": T("2025-05-01 12:00"),
            "last_at": T("2026-01-08 11:00"),
            "value": 1115.0,
        }
    ]
    assert s3.top_stuck == [
        {"customer_id": A, "since": T("2026-01-01 10:20"), "value": 80.0},
        {"customer_id": G, "since": T("2026-01-07 10:00"), "value": 40.0},
    ]
    s5 = next(s for s in audit.steps if s.step_id == "s5")
    assert [c["channel"] for c in s5.by_channel] == ["app", "email"]  # most touchpoints first
    assert audit.summary == {
        "journeys": 4,
        "steps": 10,
        "unowned": 4,
        "conflicts": 1,
        "touchpoints_at_gaps": 5 + 3 + 2 + 1 + 0,
        "customers_stuck_at_gaps": 2 + 2 + 1 + 1 + 0,
        "value_at_stake": 145.0 + 100.0 + 0.0 + 10.0 + 0.0,
        "orphan_touchpoints": 4,
        "orphan_share": 4 / (4 + 27),
    }
    assert [(o.channel, o.kind, o.touchpoints, o.value) for o in audit.orphans or []] == [
        ("web", "purchase", 3, 140.0),
        ("email", "email_open", 1, 0.0),
    ]


def test_audit_names_the_likely_owner_and_says_how(journeys: GraphStore) -> None:
    audit = ownership_audit(journeys, as_of=AS_OF)
    got = {s.step_id: (s.likely_owner, s.likely_owner_name, s.inferred_from) for s in audit.gaps}
    assert got == {
        "s3": ("sales", "Sales", "owns the steps on both sides, Cart and Pay"),
        "s5": ("care", "Care", "handles 1 of the 3 touchpoints at the step"),
        "s6": ("mkt", "Marketing", "runs the campaigns behind 2 of the 2 touchpoints at the step"),
        "h2": ("care", "Care", "handles 1 of the 1 touchpoints at the step"),
        "h3": ("care", "Care", "owns the step before, Contact"),
    }
    advice = {s.step_id: s.advice for s in audit.gaps}
    assert advice["s3"] == (
        "Assign Checkout to Sales (it owns the steps on both sides, Cart and Pay); "
        "2 customers stuck there, 145.00 at stake."
    )
    assert advice["s5"].startswith("Make Care the single owner of Review (it handles 1 of the 3")
    assert "today Care and Marketing both own it" in advice["s5"]
    assert all(s.likely_owner is None and s.advice is None for s in audit.steps if not s.is_gap)


def test_audit_of_one_journey(journeys: GraphStore) -> None:
    audit = ownership_audit(journeys, "help", as_of=AS_OF)
    assert [s.step_id for s in audit.steps] == ["h1", "h2", "h3"]
    assert audit.orphans is None  # orphans belong to no journey
    assert audit.summary["unowned"] == 2
    assert audit.summary["value_at_stake"] == 10.0
    assert audit.summary["orphan_touchpoints"] is None
    with pytest.raises(NotFoundError, match="no journey 'nope'"):
        ownership_audit(journeys, "nope")


def test_markdown_report(journeys: GraphStore) -> None:
    report = audit_markdown(ownership_audit(journeys, as_of=AS_OF))
    lines = report.splitlines()
    assert lines[0] == "# Journey ownership audit"
    assert lines[2].startswith("Date: ")
    assert "(figures as of 2026-06-01)" in lines[2]
    assert lines[4] == (
        "**Summary:** 4 unowned steps and 1 conflict (steps with several owners) across "
        "4 journeys; 6 customers are stuck at these gaps, with 255.00 of value at stake. "
        "4 touchpoints (13%) are mapped to no journey step."
    )
    assert "## Shop (`shop`)" in lines
    assert "| 3 | Checkout | — | **UNOWNED** | 5 | 3 | 2 | 145.00 |" in lines
    assert "| 5 | Review | Care, Marketing | **CONFLICT** | 3 | 2 | 2 | 100.00 |" in lines
    assert "| 1 | Browse | Marketing | ok | 7 | 6 | 1 | 0.00 |" in lines
    assert "| 3 | Escalation | — | **UNOWNED** | 0 | 0 | 0 | 0.00 |" in lines
    assert (
        "- **What to do:** Assign Checkout to Sales (it owns the steps on both sides, Cart and "
        "Pay); 2 customers stuck there, 145.00 at stake."
    ) in lines
    assert f"- Stuck customers with the most value: `{A}` (80.00), `{G}` (40.00)." in lines
    assert "| web | purchase | 3 | 140.00 | 2025-03-01 | 2026-03-01 |" in lines
    assert "This journey has no steps." in lines
    assert "Every step has exactly one owner." in lines  # news


def test_audit_and_funnel_of_an_empty_graph(store: GraphStore) -> None:
    audit = ownership_audit(store, as_of=AS_OF)
    assert (audit.journeys, audit.steps, audit.orphans) == ([], [], [])
    assert audit.summary["value_at_stake"] == 0
    assert "None: every touchpoint is mapped to a journey step." in audit_markdown(audit)
    with pytest.raises(NotFoundError):
        ownership_audit(store, "shop")
    with pytest.raises(NotFoundError):
        journey_funnel(store, "shop")


# --- the command ---------------------------------------------------------------------------


def _audit(db: str, *args: str):
    return CliRunner().invoke(app, ["audit", "--store", db, "--as-of", "2026-06-01", *args])


def test_audit_fail_on_unowned_exit_codes(journey_db: str) -> None:
    assert _audit(journey_db).exit_code == 0
    failed = _audit(journey_db, "--fail-on-unowned", "--format", "json")
    assert failed.exit_code == EXIT_FOUND
    assert "4 unowned: h2, h3, s3, s6" in failed.stderr
    assert json.loads(failed.stdout)["summary"]["unowned"] == 4  # the answer is still written
    assert _audit(journey_db, "--journey", "news", "--fail-on-unowned").exit_code == 0
    # conflicts fail only with --fail-on-conflict
    assert _audit(journey_db, "--journey", "help", "--fail-on-conflict").exit_code == 0
    assert _audit(journey_db, "--journey", "shop", "--fail-on-conflict").exit_code == EXIT_FOUND
    missing = _audit(journey_db, "--journey", "nope", "--fail-on-unowned")
    assert missing.exit_code == EXIT_REFUSED
    assert "no journey 'nope'" in missing.stderr


def test_audit_formats(journey_db: str, tmp_path: Path) -> None:
    rows = _audit(journey_db, "--format", "csv").stdout.splitlines()
    assert rows[0].startswith("journey_id,journey,step_id,step,stage,position,owners,")
    assert len(rows) == 1 + 10
    s3 = next(r for r in rows if ",s3," in r)
    assert ",unowned,5," in s3 and ",145.0," in s3 and ",sales,Sales," in s3

    report = tmp_path / "audit.md"
    result = _audit(journey_db, "--format", "md", "-o", str(report))
    assert result.exit_code == 0 and result.stdout == ""
    text = report.read_text()
    assert "| 3 | Checkout | — | **UNOWNED** | 5 | 3 | 2 | 145.00 |" in text

    table = _audit(journey_db, "--journey", "shop")
    assert "UNOWNED" in table.stdout and "CONFLICT" in table.stdout
    assert "what to do: Assign Checkout to Sales" in table.stdout


# --- the demo ------------------------------------------------------------------------------


def test_demo_gaps(tmp_path: Path) -> None:
    """The demo's documented gaps: delivery, abandoned_checkout_follow_up and
    poor_rating_follow_up unowned, review owned by brand and customer_care; every gap has
    traffic, and stuck customers agree with the 360 card's current step."""
    from graph360.demo import generate_demo
    from graph360.ingest.load import load_bundle

    generate_demo(tmp_path / "demo", customers=200)
    with open_store(str(tmp_path / "g.lbug")) as graph:
        load_bundle(graph, tmp_path / "demo", rejects_path=tmp_path / "rejects.csv")
        audit = ownership_audit(graph, as_of=dt.datetime(2026, 11, 1))
        assert sorted(s.step_id for s in audit.unowned) == [
            "abandoned_checkout_follow_up",
            "delivery",
            "poor_rating_follow_up",
        ]
        assert [(s.step_id, s.owners) for s in audit.conflicts] == [
            ("review", ["brand", "customer_care"])
        ]
        assert all(s.touchpoints > 0 and s.customers > 0 for s in audit.gaps)
        likely = {s.step_id: s.likely_owner for s in audit.gaps}
        assert likely["abandoned_checkout_follow_up"] == "lifecycle_crm"  # cmp_lc_abandoned
        assert likely["poor_rating_follow_up"] == "customer_care"
        assert likely["delivery"] == "retail_sales"  # owns payment, the step before
        assert audit.summary["orphan_share"] > 0.4  # "about 60% of touchpoints are orphans"

        projection = customer_steps(graph, journey_steps(graph))
        current = {
            (row.journey_id, row.customer_id): row.step_id
            for row in current_steps(projection).itertuples()
        }
        assert len(current) == sum(s.stuck for s in audit.steps)  # one current step each
        for (journey, customer), step in sorted(current.items())[:60]:
            rows = current_journey_steps(graph, customer)
            assert next(r for r in rows if r["journey_id"] == journey)["step_id"] == step
