"""The demo's free text carries complaints a person would recognise, and ``graph360 themes``
with its default settings finds each as a theme of its own (issue 18): a late delivery, a
refund not received, an app that crashes and a price rise. The themes are what customers
wrote: none is made of the CRM's call subject lines, one title per campaign."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import empty_store
from typer.testing import CliRunner

from graph360.cli import app
from graph360.demo import generate_demo
from graph360.ingest.load import load_bundle

#: How a reader tells each complaint from a theme's label (its top three terms) and terms:
#: a word the label must hold, and words of which the label or the terms must hold one.
READ_AS = {
    "late delivery": ("late", {"delivery", "delivered"}),
    "refund": ("refund", {"received", "request", "waiting"}),
    "app crash": ("app", {"crashes", "crashing", "crash", "crashed"}),
    "price rise": ("price", {"increased", "went", "rise", "gone"}),
}


def _read_as(theme: dict) -> set[str]:
    """The complaints a person reads in ``theme`` (from its JSON form)."""
    label = set(theme["label"].split(" / "))
    return {
        name
        for name, (word, also) in READ_AS.items()
        if word in label and also & set(theme["terms"])
    }


@pytest.mark.parametrize("customers", [None, 10_000], ids=["default size", "10000"])
def test_themes_on_the_demo_find_the_four_complaints(tmp_path: Path, customers: int | None) -> None:
    sized = {} if customers is None else {"customers": customers}
    bundle = generate_demo(tmp_path / "demo", **sized)
    graph = empty_store("ladybug", tmp_path)
    try:
        load_bundle(graph, bundle)
        location = graph.location
    finally:
        graph.close()
    done = CliRunner().invoke(app, ["themes", "--store", location, "--format", "json"])
    assert done.exit_code == 0, done.output
    found = json.loads(done.output)["themes"]
    assert len(found) == 8  # the default
    read = [_read_as(theme) for theme in found]
    shown = [(t["label"], sorted(r)) for t, r in zip(found, read, strict=True)]
    for name in READ_AS:  # each complaint is a theme ...
        assert any(name in r for r in read), (name, shown)
    assert all(len(r) <= 1 for r in read), shown  # ... of its own
    with (bundle / "crm" / "activities.csv").open(encoding="utf-8-sig", newline="") as f:
        subjects = {row["Subject"] for row in csv.DictReader(f)}
    examples = {x for theme in found for x in theme["examples"]}
    assert examples and not examples & subjects, examples & subjects
