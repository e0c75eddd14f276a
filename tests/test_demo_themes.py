"""The demo's free text carries complaints a person would recognise, and ``graph360 themes``
finds them (issue 18): an app that crashes and a refund not received."""

from __future__ import annotations

from pathlib import Path

from helpers import empty_store

from graph360.analytics.themes import themes
from graph360.demo import generate_demo
from graph360.ingest.load import load_bundle


def test_themes_on_the_demo_find_the_app_crash_and_the_refund(tmp_path: Path) -> None:
    graph = empty_store("ladybug", tmp_path)
    try:
        load_bundle(graph, generate_demo(tmp_path / "demo", customers=2000))
        found = [t.terms for t in themes(graph, top=12).themes]
        assert any({"app", "crashing"} <= set(terms) for terms in found), found
        assert any({"refund", "received"} <= set(terms) for terms in found), found
        default = [t.terms for t in themes(graph).themes]
        assert any("app" in terms and "crashing" in terms for terms in default), default
    finally:
        graph.close()
