"""The graph views: the data each page is drawn from (nodes, edges, sizes, colours) on known
data, the page itself (self-contained, escaped), the registry, the CLI and the named queries
the views added. The browser checks are in tests/test_views_browser.py.

Known data: the tiny bundle (Ada ``crm:1`` follows / is referred by Grace and Alan, holds ACC1
managed by Retail Sales, is targeted by CMP1 from Lifecycle CRM and CMP2 from the Newsroom, had
T1 email, T2 and T3 web, T5 phone) and ``hostile``: the same bundle with people, a department,
a campaign and a journey step whose names are markup, flags, and influence stored.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import TINY
from typer.testing import CliRunner

from graph360.analytics.influence.scores import influence
from graph360.analytics.journeys import journey_funnel
from graph360.cli import app
from graph360.errors import NotFoundError
from graph360.ingest.identity import customer_id_for
from graph360.ingest.load import load_bundle
from graph360.privacy import OPERATOR
from graph360.store import GraphStore, open_store
from graph360.views import VIEWS, ViewParameterError, customer_nodes, index_page
from graph360.views import customer as customer_view
from graph360.views import influence as influence_view
from graph360.views import journey as journey_view
from graph360.views import overlap as overlap_view
from graph360.views.render import (
    PALETTE,
    Graph,
    _assets,
    lines,
    scale,
    script_json,
    to_html,
)

ADA, GRACE, ALAN = customer_id_for("crm:1"), customer_id_for("crm:2"), customer_id_for("crm:3")
MALLORY, EVE, BOB = (customer_id_for(f"crm:{i}") for i in (9, 10, 11))
NOW = dt.datetime(2024, 4, 1, 12, 0)
SCRIPT = "<script>alert(1)</script>"
IMG = "Eve <img src=x onerror=alert(2)>"
CLOSER = 'Bob & "Carol" </script><script>alert(3)</script>'
EVIL_DEPT = "<b>Evil</b> dept"
EVIL_CAMPAIGN = "<img src=x onerror=alert(4)>"
EVIL_STEP = "<script>alert(5)</script>"


def hostile_bundle(folder: Path) -> Path:
    """The tiny bundle plus rows whose names are markup (see the module docstring)."""
    bundle = folder / "hostile"
    shutil.copytree(TINY, bundle)

    def add(file: str, *rows: str) -> None:
        with (bundle / file).open("a", encoding="utf-8") as handle:
            for row in rows:
                handle.write(row + "\n")

    add(
        "customers.csv",
        f"crm,9,{SCRIPT},mallory@example.org,,,,,,,standard,,2023-03-01,",
        f'crm,10,"{IMG}",eve@example.org,,,,,,,standard,,2023-03-01,',
        f'crm,11,"{CLOSER.replace(chr(34), chr(34) * 2)}",bob@example.org,,,,,,,,,2023-03-01,',
    )
    add("relationships.csv", "crm,9,1,follows,,", "crm,10,3,follows,,", "crm,11,3,knows,0.5,")
    add("departments.csv", f"evil,{EVIL_DEPT},<i>Div</i>")
    add("campaigns.csv", f'CMP3,"{EVIL_CAMPAIGN}",email,evil,conversion,2024-03-01,')
    add("campaign_members.csv", "CMP3,crm,1,,2024-03-05")
    add("journey_steps.csv", f"buy-6,buy,{EVIL_STEP},6,loyalty,evil")
    add(
        "touchpoints.csv",
        f"T20,2024-03-20T10:00:00Z,web,view,crm,9,,,buy-6,evil,,,,,,{SCRIPT},,",
        "T21,2024-03-20T11:00:00Z,email,open,crm,9,,CMP3,,evil,,,,,,,,",
    )
    return bundle


def add_flags(graph: GraphStore) -> None:
    """An open red flag with a markup reason and a closed green one, on Ada."""
    graph.upsert_nodes(
        "Flag",
        pa.table(
            {
                "flag_id": ["F1", "F2"],
                "kind": ["complaint", "vip"],
                "severity": ["red", "green"],
                "reason": [SCRIPT, "promoter"],
                "status": ["open", "closed"],
                "raised_at": pa.array([dt.datetime(2024, 3, 10), dt.datetime(2024, 3, 1)]),
            }
        ),
    )
    graph.upsert_relationships("FLAGGED", pa.table({"from": [ADA, ADA], "to": ["F1", "F2"]}))


def open_hostile(folder: Path) -> GraphStore:
    """The hostile graph in ``folder``: loaded, flagged, influence stored."""
    graph = open_store(str(folder / "graph.lbug"))
    load_bundle(graph, hostile_bundle(folder), rejects_path=folder / "rejects.csv", max_shared=2)
    add_flags(graph)
    influence(graph, now=NOW)
    return graph


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    graph = open_hostile(tmp_path_factory.mktemp("hostile"))
    yield graph
    graph.close()


def edge(graph: Graph, source: str, target: str) -> dict:
    (found,) = [e for e in graph.edges if e["from"] == source and e["to"] == target]
    return found


# --- the named queries the views added --------------------------------------------------------


def test_customer_campaign_departments(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("customer_campaign_departments", customer_id=ADA)
    assert rows == [
        {"campaign_id": "CMP1", "department_id": "crm-team", "department": "Lifecycle CRM"},
        {"campaign_id": "CMP2", "department_id": "news", "department": "Newsroom"},
    ]
    assert graph.query("customer_campaign_departments", customer_id=GRACE) == [
        {"campaign_id": "CMP2", "department_id": "news", "department": "Newsroom"}
    ]
    assert graph.query("customer_campaign_departments", customer_id=ALAN) == []


def test_influence_neighbourhood(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("influence_neighbourhood", ids=[ADA])
    got = sorted((r["source"], r["target"], r["kind"], r["weight"]) for r in rows)
    assert got == sorted([(GRACE, ADA, "referred", 1.0), (ALAN, ADA, "follows", None)])
    assert {r["source_pagerank"] for r in rows} == {None}  # not computed in this fixture
    # Between two given people, a relationship comes once from each side.
    rows = graph.query("influence_neighbourhood", ids=[ADA, ALAN])
    got = sorted((r["source"], r["target"], r["kind"]) for r in rows)
    assert got == sorted(
        [
            (GRACE, ADA, "referred"),
            (ALAN, ADA, "follows"),
            (ALAN, ADA, "follows"),
            (ALAN, GRACE, "knows"),
        ]
    )
    assert graph.query("influence_neighbourhood", ids=["C-NOBODY"]) == []


def test_influence_people(tiny) -> None:
    graph, _ = tiny
    rows = graph.query("influence_people", ids=[ADA, "C-NOBODY", GRACE])
    assert sorted((r["customer_id"], r["name"], r["segment"]) for r in rows) == sorted(
        [(ADA, "Ada Lovelace", "premium"), (GRACE, "Grace Hopper", "standard")]
    )
    assert {r["pagerank"] for r in rows} == {None}
    assert {r["community"] for r in rows} == {None}


def test_influence_people_after_influence_is_stored(hostile) -> None:
    (ada,) = hostile.query("influence_people", ids=[ADA])
    stored = {r["customer_id"]: r for r in hostile.query("influence_stored", limit=100)}
    assert ada["pagerank"] == pytest.approx(stored[ADA]["pagerank"])
    assert ada["influence_rank"] == stored[ADA]["influence_rank"]
    assert ada["influence_at"] == NOW


# --- customer view ----------------------------------------------------------------------------


def test_customer_view_on_tiny(tiny) -> None:
    graph, _ = tiny
    view = customer_view.build(graph, "ada@example.org", now=NOW, audience=OPERATOR)
    ids = {n["id"] for n in view.nodes}
    assert ids == {
        f"c:{ADA}",
        f"c:{GRACE}",
        f"c:{ALAN}",
        "a:ACC1",
        "d:sales",
        "k:CMP1",
        "k:CMP2",
        "d:crm-team",
        "d:news",
        "ch:email",
        "ch:web",
        "ch:phone",
        *(f"t:{n}" for n in range(4)),  # touchpoints by position, newest first
    }
    t5, t3, t2, t1 = (view.node(f"t:{n}") for n in range(4))
    assert [t["title"].count(f"Id: {i}") for t, i in ((t5, "T5"), (t1, "T1"))] == [1, 1]
    centre = view.node(f"c:{ADA}")
    assert (centre["x"], centre["y"]) == (0, 0) and centre["priority"] == 1000
    assert centre["color"] == customer_nodes.CENTRE and centre["size"] == 40
    # Laid out: what is Ada's on a ring around her, what hangs off it further out.
    radius = {n["id"]: (n["x"] ** 2 + n["y"] ** 2) ** 0.5 for n in view.nodes}
    inner = {f"c:{GRACE}", f"c:{ALAN}", "a:ACC1", "k:CMP1", "k:CMP2", "ch:email", "ch:web"}
    assert len({round(radius[i]) for i in inner}) == 1
    assert min(radius[o] for o in ("d:sales", "d:news", "t:0")) > radius["a:ACC1"] + 150
    # Relationships in their stored direction; influence flows along referred / follows.
    referred = edge(view, f"c:{GRACE}", f"c:{ADA}")
    assert (referred["heading"], referred["arrows"]) == ("referred relationship", "to")
    assert referred["color"] == customer_nodes.KIND_COLOUR["referred"]
    assert edge(view, f"c:{ALAN}", f"c:{ADA}")["heading"] == "follows relationship"
    # Alan knows Grace (weight 2.5: wider, no arrow).
    knows = edge(view, f"c:{ALAN}", f"c:{GRACE}")
    assert (knows["heading"], knows["arrows"], knows["width"]) == ("knows relationship", "", 6.0)
    # Accounts and their departments; campaigns and theirs.
    assert view.node("a:ACC1")["color"] == customer_nodes.ACCOUNT
    assert edge(view, "a:ACC1", "d:sales")
    assert edge(view, "k:CMP1", "d:crm-team") and edge(view, "k:CMP2", "d:news")
    assert edge(view, "k:CMP1", f"c:{ADA}")["dashes"] is True
    # Touchpoints grouped by channel; size by how many.
    assert view.node("ch:web")["label"] == "web (2)"
    assert view.node("ch:web")["size"] > view.node("ch:email")["size"]
    assert edge(view, "ch:web", t2["id"]) and edge(view, "ch:web", t3["id"])
    assert edge(view, "ch:phone", t5["id"])
    assert "Handled by: Customer Care" in t5["title"]
    # Influence not computed: people all the same size, and the page says why.
    assert view.node(f"c:{GRACE}")["size"] == view.node(f"c:{ALAN}")["size"]
    assert any("Influence has not been computed" in n for n in view.notes)
    assert view.as_of == NOW
    assert view.variables == {"ref": "ada@example.org", "relationships": 12, "touchpoints": 20}


def test_customer_view_sizes_people_by_pagerank_and_colours_flags(hostile) -> None:
    view = customer_view.build(hostile, ADA, now=NOW, audience=OPERATOR)
    stored = {r["customer_id"]: r["pagerank"] for r in hostile.query("influence_stored", limit=99)}
    people = [GRACE, ALAN, MALLORY, EVE, BOB]
    by_size = sorted(people, key=lambda c: view.node(f"c:{c}")["size"])
    assert by_size == sorted(people, key=lambda c: stored[c])
    top = max(people, key=lambda c: stored[c])
    assert view.node(f"c:{top}")["size"] == 30  # the most influential shown gets the top size
    # Eve and Bob are two hops away, through Alan.
    assert view.node(f"c:{EVE}")["color"] == customer_nodes.PERSON_2
    assert view.node(f"c:{MALLORY}")["color"] == customer_nodes.PERSON
    assert edge(view, f"c:{EVE}", f"c:{ALAN}")["heading"] == "follows relationship"
    red, green = view.node("f:F1"), view.node("f:F2")
    assert (red["color"], red["size"], red["opacity"]) == ("#d62728", 16, 1.0)
    assert (green["color"], green["size"], green["opacity"]) == ("#2ca02c", 10, 0.5)
    assert "Reason: " + SCRIPT in red["title"]  # kept as text; the page escapes it
    assert view.node("k:CMP3")["label"] == EVIL_CAMPAIGN
    assert edge(view, "k:CMP3", "d:evil")
    assert not view.notes


def test_customer_view_refuses_an_unknown_customer(tiny) -> None:
    graph, _ = tiny
    with pytest.raises(NotFoundError):
        customer_view.build(graph, "nobody@example.org", audience=OPERATOR)


# --- overlap view -----------------------------------------------------------------------------


def test_overlap_view_by_department_on_tiny(tiny) -> None:
    graph, _ = tiny
    view = overlap_view.build(graph, now=NOW)
    # Reached: Ada by care (T5), crm-team (T1, CMP1) and news (CMP2); Grace by news (CMP2).
    sizes = {n["id"]: n["label"].split("\n")[1] for n in view.nodes}
    assert sizes == {"care": "1", "crm-team": "1", "news": "2", "sales": "0"}
    size = {n["id"]: n["size"] for n in view.nodes}
    assert size["news"] == 55 and size["sales"] == 12 and size["care"] == size["crm-team"]
    # Colour by division: Editorial, Marketing, Sales in name order.
    colour = {n["id"]: n["color"] for n in view.nodes}
    assert colour == {
        "news": PALETTE[0],
        "care": PALETTE[1],
        "crm-team": PALETTE[1],
        "sales": PALETTE[2],
    }
    pairs = {(e["from"], e["to"]): e for e in view.edges}
    assert set(pairs) == {("care", "crm-team"), ("care", "news"), ("crm-team", "news")}
    first = pairs[("care", "crm-team")]
    assert first["label"] == "1 shared"
    assert first["color"] == overlap_view.SHARED  # T1 and T5 are nine days apart
    assert "Jaccard: 1.000" in first["title"] and "Shared customers: 1" in first["title"]
    assert "Collisions within 48 h: 0" in first["title"]


def test_overlap_view_shows_collisions_inside_the_window(tiny) -> None:
    graph, _ = tiny
    view = overlap_view.build(graph, window_hours=240, now=NOW)
    colliding = {(e["from"], e["to"]) for e in view.edges if e["color"] != overlap_view.SHARED}
    assert colliding == {("care", "crm-team")}
    hit = edge(view, "care", "crm-team")
    assert hit["label"] == "1 shared\n100% collide"
    assert hit["color"] == overlap_view.RATE_COLOURS[-1]  # the one rate there is: the top step
    assert "Collision rate (of the shared customers): 100%" in hit["title"]
    assert "Collisions within 240 h: 1" in hit["title"]
    assert "Suggested sequence:" in hit["title"]
    assert view.node("care")["borderWidth"] == 3 and view.node("news")["borderWidth"] == 1
    # The pair with the most collisions wins among the edges' labels; every unit's label wins
    # over every edge's, whatever the counts (at 1M they were tens of thousands).
    assert hit["priority"] == 99 == max(e["priority"] for e in view.edges)
    assert max(e["priority"] for e in view.edges) < min(n["priority"] for n in view.nodes)


def test_overlap_view_by_division_and_period(tiny) -> None:
    graph, _ = tiny
    view = overlap_view.build(graph, by="division", now=NOW)
    assert {n["id"]: n["label"] for n in view.nodes} == {
        "Editorial": "Editorial\n2",
        "Marketing": "Marketing\n1",
        "Sales": "Sales\n0",
    }
    assert [(e["from"], e["to"], e["label"]) for e in view.edges] == [
        ("Editorial", "Marketing", "1 shared")
    ]
    # Before any touchpoint or target: nobody reached, nothing shared, and the page says so.
    empty = overlap_view.build(graph, until="2024-01-01", now=NOW)
    assert not empty.edges and empty.notes == [
        "No two departments share a customer in this period."
    ]
    assert empty.variables["until"] == "2024-01-02T00:00:00"  # a date includes its whole day


# --- journey view -----------------------------------------------------------------------------


def test_journey_view_marks_gaps_by_colour_and_label(tiny) -> None:
    graph, _ = tiny
    view = journey_view.build(graph, "buy", now=NOW)
    steps = [n for n in view.nodes if n["id"].startswith("s:")]
    assert [n["id"] for n in steps] == ["s:buy-1", "s:buy-2", "s:buy-3", "s:buy-4"]
    xs = [n["x"] for n in steps]  # in order, left to right, spaced by their labels
    assert all(b - a >= journey_view.STEP_GAP for a, b in itertools.pairwise(xs))
    # A step people reached without the step before says how many.
    direct = {s.step_id: s.without_previous for s in journey_funnel(graph, "buy").steps}
    for node in steps[1:]:
        skipped = direct[node["id"][2:]]
        assert (f"\narrived directly: {skipped:,}\n" in node["label"]) == bool(skipped)
    assert any(direct.values())
    owned, conflict, unowned = view.node("s:buy-1"), view.node("s:buy-3"), view.node("s:buy-4")
    assert owned["color"] == journey_view.OWNED and "⚠" not in owned["label"]
    assert conflict["color"]["background"] == journey_view.CONFLICT
    assert conflict["label"].endswith("⚠ CONFLICT: 2 owners")
    assert unowned["color"]["background"] == journey_view.UNOWNED
    assert unowned["label"].endswith("⚠ UNOWNED")
    assert unowned["shapeProperties"] == {"borderDashes": [6, 4]}
    assert "Status: UNOWNED" in unowned["title"]
    # Size by traffic: Checkout had no touchpoint, the others one each.
    assert conflict["size"] == 24 and owned["size"] == unowned["size"] == 45
    # Owners above their steps; both owners of the conflict drawn, in the conflict colour.
    assert {
        e["from"]
        for e in view.edges
        if e["to"] == "s:buy-3" and e["color"] == journey_view.CONFLICT
    } == {
        "d:sales",
        "d:care",
    }
    owns = [e for e in view.edges if e["from"].startswith("d:") and "dashes" not in e]
    assert owns and all("label" not in e for e in owns)  # the legend says what they are
    assert {n["y"] for n in view.nodes if n["id"].startswith("d:")} == {journey_view.OWNER_ROW}
    # Arrows: conversion from the step before; who went no further than the step it leaves.
    assert edge(view, "s:buy-1", "s:buy-2")["label"] == "100% converted\n0 stopped (0%)"
    assert edge(view, "s:buy-2", "s:buy-3")["label"].startswith("0% converted")
    assert edge(view, "s:buy-3", "s:buy-4")["label"].startswith("no customers")
    assert all("x" in n and "y" in n for n in view.nodes)  # laid out: no physics
    assert "Checkout (conflict)" in view.notes[0]
    assert "Abandoned checkout follow-up (unowned)" in view.notes[0]


def test_journey_view_refuses_an_unknown_journey(tiny) -> None:
    graph, _ = tiny
    with pytest.raises(NotFoundError, match="no journey 'nope'"):
        journey_view.build(graph, "nope")


# --- influence view ---------------------------------------------------------------------------


def test_influence_view_computes_when_nothing_is_stored(tiny) -> None:
    graph, _ = tiny
    view = influence_view.build(graph, first=3, now=NOW)
    assert any("computed for this page and not saved" in n for n in view.notes)
    assert graph.query("influence_stored", limit=1) == []  # nothing written
    ids = {n["id"] for n in view.nodes}
    assert ids == {ADA, GRACE, ALAN}
    assert {(e["from"], e["to"]) for e in view.edges} == {
        (GRACE, ADA),
        (ALAN, ADA),
        (ALAN, GRACE),
    }


def test_influence_view_sizes_by_pagerank_and_colours_by_community(hostile) -> None:
    stored = hostile.query("influence_stored", limit=99)
    view = influence_view.build(hostile, first=2, now=NOW)
    assert not view.notes
    top = [r["customer_id"] for r in stored[:2]]
    pagerank = {r["customer_id"]: r["pagerank"] for r in stored}
    community = {r["customer_id"]: r["community"] for r in stored}
    for c in top:
        node = view.node(c)
        assert node["borderWidth"] == 3 and node["label"].startswith("#")
    biggest = max((n for n in view.nodes), key=lambda n: n["size"])
    assert biggest["id"] == stored[0]["customer_id"] and biggest["size"] == 45
    for a in view.nodes:
        for b in view.nodes:
            if pagerank[a["id"]] > pagerank[b["id"]]:
                assert a["size"] >= b["size"]
            if community[a["id"]] == community[b["id"]]:
                assert a["color"] == b["color"]
    # The most frequent community on the page gets the first colour.
    shown = [community[n["id"]] for n in view.nodes]
    commonest = max(sorted(set(shown)), key=shown.count)
    assert {n["color"] for n in view.nodes if community[n["id"]] == commonest} == {PALETTE[0]}


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(VIEWS))
def test_each_page_is_self_contained_and_escapes_its_data(hostile, name: str) -> None:
    params = {"customer": {"ref": ADA}, "journey": {"journey": "buy"}}.get(name, {})
    page = VIEWS[name].render(hostile, audience=OPERATOR, now=NOW, **params)
    # Nothing to fetch: no external element, no stylesheet link, no remote font or import.
    assert not re.search(r"<(link|img|iframe|object|embed|audio|video|source)\b", page, re.I)
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I)
    assert not re.search(r"@import|@font-face|url\(\s*['\"]?(https?:)?//", page, re.I)
    csp = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)[1]
    )
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    # Our three scripts only (payload, vis-network, the page's own); markup never raw.
    outside_vis = page.replace(_assets()["vis_js"], "")
    assert len(re.findall(r"<script\b", outside_vis)) == 3
    for markup in (SCRIPT, IMG, CLOSER, EVIL_DEPT, EVIL_CAMPAIGN, EVIL_STEP, "<i>Div</i>"):
        assert markup not in page
    assert html.escape(VIEWS[name].graphql, quote=False) in page
    assert "Legend" in page and 'id="legend"' in page
    assert '<time datetime="2024-04-01T12:00:00Z">2024-04-01 12:00 UTC</time>' in page


def test_script_json_cannot_end_its_element() -> None:
    text = script_json({"name": CLOSER, "x": "a\u2028b & <!--"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    import json

    assert json.loads(text) == {"name": CLOSER, "x": "a\u2028b & <!--"}


def test_helpers() -> None:
    assert lines("Head", ("A", 1234), ("B", None), ("C", ""), None, ("D", 2.5)) == (
        "Head\nA: 1,234\nD: 2.50"
    )
    assert scale(0, 10) == 10 and scale(10, 10) == 50 and scale(2.5, 10) == 30
    assert scale(5, 0) == 10


def test_rendering_is_linear_enough_for_a_big_graph() -> None:
    """Not a timing: a 5,000-node / 20,000-edge page renders whole (bench/views.py times it)."""
    nodes = [{"id": f"n{i}", "label": f"n{i}", "title": SCRIPT} for i in range(5000)]
    edges = [{"from": f"n{i % 5000}", "to": f"n{(i * 7) % 5000}"} for i in range(20000)]
    graph = Graph("big", "Big", "", NOW, nodes, edges, [], "query { x }")
    page = to_html(graph)
    assert page.count('{"from":') == 20000 and SCRIPT not in page
    assert '"improvedLayout":false' in page and '"hideEdgesOnDrag":true' in page
    assert '"physics":{"enabled":false}' in page


# --- the registry and the index ---------------------------------------------------------------


def test_registry() -> None:
    assert list(VIEWS) == ["customer", "overlap", "journey", "influence"]
    modules = {
        "customer": customer_view,
        "overlap": overlap_view,
        "journey": journey_view,
        "influence": influence_view,
    }
    for name, view in VIEWS.items():
        assert view.name == name and view.title and view.description
        assert view.graphql == modules[name].GRAPHQL
        assert view.build is modules[name].build
    assert [p.name for p in VIEWS["customer"].params if p.required] == ["ref"]
    assert [p.name for p in VIEWS["journey"].params if p.required] == ["journey"]
    assert VIEWS["influence"].arguments({"first": "3", "perInfluencer": "10"}) == {
        "first": 3,
        "per_influencer": 10,
    }
    assert VIEWS["overlap"].arguments({"windowHours": "24", "since": ""}) == {
        "by": "department",
        "window_hours": 24,
    }
    with pytest.raises(ViewParameterError, match="takes no parameter nope"):
        VIEWS["overlap"].arguments({"nope": "1"})
    with pytest.raises(ViewParameterError, match="needs ref"):
        VIEWS["customer"].arguments({})
    with pytest.raises(ViewParameterError, match="first must be int"):
        VIEWS["influence"].arguments({"first": "many"})
    with pytest.raises(ViewParameterError, match="by must be one of"):
        VIEWS["overlap"].arguments({"by": "team"})
    with pytest.raises(ViewParameterError, match="now is not a view parameter"):
        VIEWS["overlap"].render(None, audience=OPERATOR, now="2024-01-01")  # type: ignore[arg-type]
    with pytest.raises(ViewParameterError, match="takes no parameter store"):
        VIEWS["overlap"].render(None, audience=OPERATOR, store="x")  # type: ignore[arg-type]


def test_index_page_links_every_view_and_refuses_script_links() -> None:
    page = index_page({name: f"/views/{name}" for name in VIEWS} | {"journey/buy": "j.html"})
    for name, view in VIEWS.items():
        assert f'<a href="/views/{name}">{view.title}</a>' in page
    assert "Journey funnel and ownership: buy" in page
    assert "<script" not in page
    with pytest.raises(ViewParameterError):
        index_page({"x": "javascript:alert(1)"})
    assert "&lt;b&gt;" in index_page({"<b>": "x.html"})


# --- the command ------------------------------------------------------------------------------


def test_view_commands_write_each_page(tmp_path: Path) -> None:
    db = tmp_path / "graph.lbug"
    graph = open_store(str(db))
    load_bundle(graph, TINY, rejects_path=None, max_shared=2)
    graph.close()
    runner = CliRunner()
    commands = {
        "customer": ["customer", "ada@example.org"],
        "overlap": ["overlap", "--by", "division", "--window-hours", "240"],
        "journey": ["journey", "buy"],
        "influence": ["influence", "--top", "2"],
    }
    for name, args in commands.items():
        out = tmp_path / f"{name}.html"
        result = runner.invoke(app, ["view", *args, "-o", str(out), "--store", str(db)])
        assert result.exit_code == 0, result.output
        page = out.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and f'data-view="{name}"' in page
    result = runner.invoke(app, ["view", "journey", "nope", "-o", "x.html", "--store", str(db)])
    assert result.exit_code == 1 and "no journey 'nope'" in result.output
    result = runner.invoke(
        app, ["view", "overlap", "--by", "team", "-o", "x.html", "--store", str(db)]
    )
    assert result.exit_code == 2 and "by must be one of" in result.output
    result = runner.invoke(app, ["view", "all", str(tmp_path / "all"), "--store", str(db)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert written == ["index.html", "influence.html", "journey-buy.html", "overlap.html"]
    assert 'href="journey-buy.html"' in (tmp_path / "all" / "index.html").read_text()


def random_network(folder: Path, people: int, relationships: int, seed: int = 7) -> GraphStore:
    """``people`` customers and ``relationships`` random RELATED (no self-loop, no repeated
    pair), influence stored: a network bigger than the physics threshold."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = [f"P{i:05d}" for i in range(people)]
    source = rng.integers(0, people, relationships * 2)
    target = rng.integers(0, people // 10, relationships * 2)  # a few popular people
    pairs = np.unique(np.c_[source, target][source != target], axis=0)[:relationships]
    graph = open_store(str(folder / "random.lbug"))
    graph.upsert_nodes(
        "Customer", pa.table({"customer_id": ids, "name": [f"Person {i}" for i in range(people)]})
    )
    graph.upsert_relationships(
        "RELATED",
        pa.table(
            {
                "from": [ids[i] for i in pairs[:, 0]],
                "to": [ids[i] for i in pairs[:, 1]],
                "kind": ["follows"] * len(pairs),
                "weight": rng.random(len(pairs)) + 0.5,
            }
        ),
    )
    influence(graph, now=NOW)
    return graph
