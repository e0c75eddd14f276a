"""Consent respected by every suggestion: the collisions' suggested sequence, cross-sell
candidates, VIP candidates and next-best offers leave out people who refused, and say how many
(graph360.consent). On the demo (its exports carry consent: the CRM's e-mail opt-out, the
shop's marketing flag, the e-mail platform's unsubscribes), on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import BACKENDS, empty_store

from graph360 import consent, model
from graph360.analytics.card import customer_card
from graph360.analytics.offers import next_best_offers, offer_model
from graph360.analytics.overlap import overlap_report
from graph360.analytics.routing import run_rules
from graph360.analytics.value import PURCHASE_KINDS, VOID_OUTCOMES, update_values
from graph360.demo import generate_demo
from graph360.ingest.load import load_bundle
from graph360.privacy import OPERATOR
from graph360.store import GraphStore


@pytest.fixture(params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    graph = empty_store(request.param, tmp_path)
    bundle = generate_demo(tmp_path / "demo", customers=300)
    load_bundle(graph, bundle, rejects_path=tmp_path / "rejects.csv")
    update_values(graph)
    yield graph
    graph.close()


def _refuse(store: GraphStore, customer_ids: list[str], purpose: str) -> None:
    for customer_id in customer_ids:
        consent.record(store, customer_id, purpose, "refused", source="test")


def test_the_demo_loads_consent_from_its_exports(demo: GraphStore) -> None:
    statements = demo.all_nodes("Consent")
    assert set(statements["source"]) >= {"crm", "shop", "esp"}
    assert set(statements["status"]) == {"granted", "refused"}
    assert set(statements["purpose"]) == {"email_marketing"}


def _no_consents(store: GraphStore) -> None:
    """Forget every statement the demo loaded: a known starting point (nobody refused)."""
    rows = store.query("consents_of_purposes", purposes=list(model.CONSENT_PURPOSES))
    for customer_id in {row["customer_id"] for row in rows}:
        store.write("erasure_delete_consents", customer_id=customer_id)


def test_the_collision_sequence_leaves_out_who_refused(demo: GraphStore) -> None:
    _no_consents(demo)
    before = overlap_report(demo).collisions
    assert before.left_out_by_consent["left_out"] == 0
    assert before.pairs, "the demo has collisions"
    sequenced = {(s["first"], s["then"]): s["customers"] for s in before.sequence}
    assert sum(sequenced.values()) == sum(p["customers"] for p in before.pairs)
    someone = before.offenders[0]["customer_id"]  # collided with two or more units
    _refuse(demo, [someone], "email_marketing")
    after = overlap_report(demo).collisions
    assert after.left_out_by_consent == {
        "suggestion": "collision_sequence",
        "purposes": ["email_marketing"],
        "left_out": 1,
    }
    assert after.pairs == before.pairs  # the facts count everyone
    gone = sum(p["customers"] for p in before.pairs) - sum(s["customers"] for s in after.sequence)
    assert gone >= 1  # one row per colliding pair of units they were in
    _refuse(demo, [someone], "profiling")  # another purpose does not matter here
    assert overlap_report(demo).collisions.left_out_by_consent["left_out"] == 1


def test_cross_sell_leaves_out_who_refused(demo: GraphStore) -> None:
    _no_consents(demo)
    before = overlap_report(demo)
    assert before.cross_sell_left_out_by_consent["left_out"] == 0
    assert before.cross_sell, "the demo has cross-sell candidates"
    first = before.cross_sell[0]["customer_id"]
    second = before.cross_sell[1]["customer_id"]
    _refuse(demo, [first], "profiling")
    _refuse(demo, [second], "email_marketing")
    after = overlap_report(demo)
    assert {first, second}.isdisjoint(c["customer_id"] for c in after.cross_sell)
    assert after.cross_sell_left_out_by_consent == {
        "suggestion": "cross_sell",
        "purposes": ["email_marketing", "profiling"],
        "left_out": 2 if first != second else 1,
    }


def test_vip_candidates_leave_out_who_refused_profiling(demo: GraphStore) -> None:
    _no_consents(demo)
    report = run_rules(demo)
    assert report.left_out_by_consent["left_out"] == 0
    vips = demo.frame("routing_flags", kinds=["vip_candidate"])
    vips = vips[(vips["kind"] == "vip_candidate") & (vips["status"] == "open")]
    assert len(vips), "the demo has VIP candidates"
    someone = vips["customer_id"].iloc[0]
    _refuse(demo, [someone], "email_marketing")  # not what the VIP list is about
    assert run_rules(demo).left_out_by_consent["left_out"] == 0
    _refuse(demo, [someone], "profiling")
    report = run_rules(demo)
    assert report.left_out_by_consent == {
        "suggestion": "vip_candidates",
        "purposes": ["profiling"],
        "left_out": 1,
    }
    flags = demo.frame("routing_flags", kinds=["vip_candidate"])
    theirs = flags[(flags["customer_id"] == someone) & (flags["kind"] == "vip_candidate")]
    assert list(theirs["status"]) == ["resolved"]


def test_next_best_offers_leave_out_who_refused_profiling(demo: GraphStore) -> None:
    _no_consents(demo)
    buyers = demo.frame(
        "offers_purchases", kinds=list(PURCHASE_KINDS), void_outcomes=list(VOID_OUTCOMES)
    )
    someone = buyers.dropna(subset=["product_id"])["customer_id"].iloc[0]
    everyone = offer_model(demo, refresh=True)
    assert next_best_offers(demo, someone, model=everyone)
    _refuse(demo, [someone], "profiling")
    assert next_best_offers(demo, someone) == []
    card = customer_card(demo, someone, audience=OPERATOR)
    assert card["next_best_offers"] == []
    assert "next_best_offers" in card["left_out_by_consent"]
    assert [c["purpose"] for c in card["consent"]] == ["profiling"]
    without = offer_model(demo, refresh=True)  # their purchases no longer feed the model
    assert without.buyers.sum() < everyone.buyers.sum()
