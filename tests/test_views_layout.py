"""The views as summaries at real sizes, tested on their data without a browser: the customer
view's second hop capped per hub ("+N more"), the influence view's people per influencer on a
big random network, and the layout helpers (tests/test_views_browser.py checks the pages).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from graph360.privacy import OPERATOR
from graph360.store import GraphStore, open_store
from graph360.views import customer as customer_view
from graph360.views import influence as influence_view
from graph360.views.render import more, ring, to_html, wrap
from tests.test_views import ADA, ALAN, BOB, EVE, GRACE, NOW, edge, open_hostile, random_network


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    graph = open_hostile(tmp_path_factory.mktemp("hostile"))
    yield graph
    graph.close()


def test_customer_view_caps_second_hop_people_per_hub(hostile, monkeypatch) -> None:
    """Alan relates to Eve and Bob (two hops from Ada): with one drawn per hub, the more
    influential stays and the other is one "+1 more" node hanging off Alan."""
    stored = {r["customer_id"]: r["pagerank"] for r in hostile.query("influence_stored", limit=99)}
    stronger, weaker = sorted((EVE, BOB), key=lambda c: -stored[c])
    monkeypatch.setattr(customer_view, "PER_HUB", 1)
    view = customer_view.build(hostile, ADA, now=NOW, audience=OPERATOR)
    ids = {n["id"] for n in view.nodes}
    assert f"c:{stronger}" in ids and f"c:{weaker}" not in ids
    hidden = view.node(f"m:{ALAN}")
    assert hidden["label"] == "+1 more"
    assert f"graph360 view customer {ALAN}" in hidden["title"]
    assert edge(view, f"c:{ALAN}", f"m:{ALAN}")["dashes"] is True
    # Further out than Alan, in his direction.
    alan = view.node(f"c:{ALAN}")
    assert hidden["x"] ** 2 + hidden["y"] ** 2 > alan["x"] ** 2 + alan["y"] ** 2
    assert hidden["x"] * alan["x"] + hidden["y"] * alan["y"] > 0


def test_customer_view_summarises_a_hub_of_many(tmp_path: Path) -> None:
    """A customer related to one person who has 300 relationships of their own: the page holds
    the customer, that person, PER_HUB of theirs and one "+297 more", not 300 people."""
    graph = open_store(str(tmp_path / "hub.lbug"))
    ids = ["C", "H", *(f"P{i:03d}" for i in range(300))]
    graph.upsert_nodes("Customer", pa.table({"customer_id": ids, "name": ids}))
    graph.upsert_relationships(
        "RELATED",
        pa.table(
            {
                "from": ["C", *ids[2:]],
                "to": ["H"] * 301,
                "kind": ["follows"] * 301,
                "weight": [1.0] * 301,
            }
        ),
    )
    try:
        view = customer_view.build(graph, "C", now=NOW, audience=OPERATOR)
    finally:
        graph.close()
    people = [n for n in view.nodes if n["id"].startswith("c:")]
    assert len(people) == 2 + customer_view.PER_HUB
    assert view.node("m:H")["label"] == f"+{300 - customer_view.PER_HUB} more"
    assert view.node("c:C")["priority"] > max(n.get("priority", 0) for n in view.nodes[1:])


def test_influence_view_draws_the_most_influential_per_influencer(hostile) -> None:
    stored = hostile.query("influence_stored", limit=99)
    full = influence_view.build(hostile, first=1, now=NOW)
    leader = stored[0]["customer_id"]
    capped = influence_view.build(hostile, first=1, per_influencer=1, now=NOW)
    neighbours = {n["id"] for n in full.nodes} - {leader}
    best = max(
        neighbours, key=lambda c: next(r["pagerank"] for r in stored if r["customer_id"] == c)
    )
    assert {n["id"] for n in capped.nodes} == {leader, best, f"m:{leader}"}
    assert capped.node(f"m:{leader}")["label"] == f"+{len(neighbours) - 1} more"
    assert f"graph360 view customer {leader}" in capped.node(f"m:{leader}")["title"]


def test_ring_wrap_and_more() -> None:
    points = ring(4, 100)
    assert [(round(x), round(y)) for x, y, _ in points] == [
        (0, -100),
        (100, 0),
        (0, 100),
        (-100, 0),
    ]
    arc = ring(3, 10, centre=0, span=math.pi / 2)
    assert [round(a, 3) for *_, a in arc] == [round(-math.pi / 4, 3), 0, round(math.pi / 4, 3)]
    assert ring(1, 50, centre=math.pi)[0][:2] == (-50.0, 0.0) and ring(0, 5) == []
    assert wrap("8. Abandoned-checkout follow-up") == "8. Abandoned-\ncheckout follow-up"
    assert wrap("Browse") == "Browse"
    node = more("m:x", 212, "people related to X", "X's view")
    assert node["label"] == "+212 more" and node["title"].endswith("Open in X's view")


def test_a_big_influence_view_summarises_each_influencer(tmp_path: Path) -> None:
    """3,000 people, 60 popular ones followed by hundreds: the page holds the 25 influencers,
    at most PER_INFLUENCER people around each (nearer it than any other influencer) and one
    "+N more" each, and every related person is drawn or counted in a "+N more"."""
    graph = random_network(tmp_path, 3000, 9000)
    try:
        view = influence_view.build(graph, first=25, now=NOW)
        top = [r["customer_id"] for r in graph.query("influence_stored", limit=25)]
        related = {
            c: {r["customer_id"] for r in graph.query("customer_relationships", customer_id=c)}
            for c in top
        }
    finally:
        graph.close()
    per = influence_view.PER_INFLUENCER
    assert len(view.nodes) <= 25 * (per + 2)
    at = {n["id"]: (n["x"], n["y"]) for n in view.nodes}
    leaders = set(top)

    def nearest(point: tuple[float, float]) -> str:
        return min(top, key=lambda c: (at[c][0] - point[0]) ** 2 + (at[c][1] - point[1]) ** 2)

    around: dict[str, list[str]] = {c: [] for c in top}
    for node in view.nodes:
        if node["id"] not in leaders:
            around[nearest(at[node["id"]])].append(node["id"])
    drawn = {n["id"] for n in view.nodes}
    for c in top:
        people = [p for p in around[c] if not p.startswith("m:")]
        assert len(people) <= per
        hidden = len(related[c] - drawn - leaders)
        if hidden:
            assert view.node(f"m:{c}")["label"] == f"+{hidden:,} more"
            assert f"m:{c}" in around[c]
    page = to_html(view)
    assert '"physics":{"enabled":false}' in page


# --- the named queries the customer view's second hop reads ------------------------------------


def test_customer_related_top(tiny) -> None:
    """Alan follows Ada and knows Grace (2.5); nobody relates to Alan. No influence is stored,
    so the order is by id."""
    graph, _ = tiny
    rows = graph.query("customer_related_top", customer_id=ALAN, exclude=[], limit=1)
    assert [(r["direction"], r["customer_id"]) for r in rows] == [("out", min(ADA, GRACE))]
    rows = graph.query("customer_related_top", customer_id=ALAN, exclude=[ADA], limit=5)
    assert [(r["direction"], r["kind"], r["customer_id"], r["weight"]) for r in rows] == [
        ("out", "knows", GRACE, 2.5)
    ]
    rows = graph.query("customer_related_top", customer_id=ADA, exclude=[], limit=5)
    assert sorted((r["direction"], r["kind"], r["customer_id"]) for r in rows) == [
        ("in", "follows", ALAN),
        ("in", "referred", GRACE),
    ]


def test_customer_related_count(tiny) -> None:
    graph, _ = tiny
    count = graph.query("customer_related_count", customer_id=ALAN, exclude=[])
    assert count == [{"people": 2}]
    assert graph.query("customer_related_count", customer_id=ALAN, exclude=[GRACE, ADA]) == [
        {"people": 0}
    ]


def test_customer_related_among(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("customer_related_among", customer_id=ADA, ids=[GRACE])
    assert [(r["direction"], r["kind"], r["customer_id"], r["weight"]) for r in rows] == [
        ("in", "referred", GRACE, 1.0)
    ]
    assert graph.query("customer_related_among", customer_id=ADA, ids=[]) == []


def test_customer_related_top_is_by_pagerank(hostile) -> None:
    """Eve follows Alan and Bob knows him: with influence stored, the more influential first."""
    stored = {r["customer_id"]: r["pagerank"] for r in hostile.query("influence_stored", limit=99)}
    rows = hostile.query("customer_related_top", customer_id=ALAN, exclude=[ADA, GRACE], limit=1)
    assert [r["customer_id"] for r in rows] == [max((EVE, BOB), key=lambda c: stored[c])]
    rows = hostile.query("customer_related_top", customer_id=ALAN, exclude=[ADA, GRACE], limit=2)
    assert [r["customer_id"] for r in rows] == sorted((EVE, BOB), key=lambda c: -stored[c])
    assert [r["pagerank"] for r in rows] == sorted((stored[EVE], stored[BOB]), reverse=True)
