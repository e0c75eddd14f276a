"""Next-best offers on the worked example of graph360/analytics/offers.py, ranked by hand.

Buyers: c1 {A, B} and c2 {A, B, C} (premium), c3 {A, C} and c4 {B, D} (consumer); c3's
purchase of D was refunded and c2 bought A twice. c5 (premium), c6 (no segment) and c7
(student, a segment with no buyers) bought nothing; E was never bought.

n(A) = 3, n(B) = 3, n(C) = 2, n(D) = 1; n(A,B) = 2, n(A,C) = 2, n(B,C) = 1, n(B,D) = 1.
cos(A,B) = 2/3, cos(A,C) = 2/sqrt(6), cos(B,C) = 1/sqrt(6), cos(B,D) = 1/sqrt(3).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from helpers import BACKENDS, empty_store
from typer.testing import CliRunner

from graph360.analytics.offers import next_best_offers, offer_model
from graph360.cli import app
from graph360.errors import NotFoundError
from graph360.store import GraphStore, open_store

SEGMENTS = {
    "c1": "premium",
    "c2": "premium",
    "c3": "consumer",
    "c4": "consumer",
    "c5": "premium",
    "c6": None,
    "c7": "student",
}
#: (touchpoint, customer, product, outcome)
PURCHASES = [
    ("t1", "c1", "A", "completed"),
    ("t2", "c1", "B", None),
    ("t3", "c2", "A", "completed"),
    ("t4", "c2", "A", "completed"),
    ("t5", "c2", "B", "completed"),
    ("t6", "c2", "C", "pending"),
    ("t7", "c3", "A", "completed"),
    ("t8", "c3", "C", "completed"),
    ("t9", "c3", "D", "refunded"),
    ("t10", "c4", "B", "completed"),
    ("t11", "c4", "D", "completed"),
]


def table(rows: list[dict[str, Any]]) -> pa.Table:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist([{k: row.get(k) for k in keys} for row in rows])


def build(store: GraphStore) -> None:
    store.upsert_nodes(
        "Customer", table([{"customer_id": c, "segment": s} for c, s in SEGMENTS.items()])
    )
    store.upsert_nodes(
        "Product",
        table([{"product_id": p, "name": f"Product {p}", "category": "cat"} for p in "ABCDE"]),
    )
    store.upsert_nodes(
        "Touchpoint",
        table(
            [
                {
                    "touchpoint_id": t,
                    "at": dt.datetime(2026, 1, 1),
                    "kind": "purchase",
                    "value": 10.0,
                    "outcome": outcome,
                }
                for t, _, _, outcome in PURCHASES
            ]
        ),
    )
    store.upsert_relationships("HAD", table([{"from": c, "to": t} for t, c, _, _ in PURCHASES]))
    store.upsert_relationships(
        "FOR_PRODUCT", table([{"from": t, "to": p} for t, _, p, _ in PURCHASES])
    )


@pytest.fixture(params=BACKENDS, scope="module")
def shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    graph = empty_store(request.param, tmp_path_factory.mktemp("shop"))
    build(graph)
    yield graph
    graph.close()


def offered(store: GraphStore, customer: str, top: int = 5) -> list[tuple]:
    return [
        (o["product_id"], pytest.approx(o["score"], abs=1e-6), o["basis"], o["reason"])
        for o in next_best_offers(store, customer, top)
    ]


def test_offers_from_co_purchases(shop: GraphStore) -> None:
    assert offered(shop, "c1") == [
        (
            "C",
            3 / math.sqrt(6),
            "co-purchase",
            "bought by 67% (2 of 3) of those who bought Product A",
        ),
        (
            "D",
            1 / math.sqrt(3),
            "co-purchase",
            "bought by 33% (1 of 3) of those who bought Product B",
        ),
    ]
    assert offered(shop, "c4") == [
        ("A", 2 / 3, "co-purchase", "bought by 67% (2 of 3) of those who bought Product B"),
        (
            "C",
            1 / math.sqrt(6),
            "co-purchase",
            "bought by 33% (1 of 3) of those who bought Product B",
        ),
    ]
    assert [o[0] for o in offered(shop, "c1", top=1)] == ["C"]
    first = next_best_offers(shop, "c1", 1)[0]
    assert (first["name"], first["category"]) == ("Product C", "cat")


def test_too_few_co_purchases_are_topped_up_from_the_segment(shop: GraphStore) -> None:
    # c3 bought A and C (D was refunded): B by co-purchase, D has no co-purchase with A or C
    assert offered(shop, "c3") == [
        (
            "B",
            2 / 3 + 1 / math.sqrt(6),
            "co-purchase",
            "bought by 67% (2 of 3) of those who bought Product A",
        ),
        ("D", 0.5, "popular", "popular: bought by 50% (1 of 2) of buyers in segment consumer"),
    ]


def test_customers_without_purchases_get_their_segments_favourites(shop: GraphStore) -> None:
    premium = "no purchases yet: bought by {} of buyers in segment premium"
    assert offered(shop, "c5") == [
        ("A", 1.0, "popular", premium.format("100% (2 of 2)")),
        ("B", 1.0, "popular", premium.format("100% (2 of 2)")),
        ("C", 0.5, "popular", premium.format("50% (1 of 2)")),
    ]
    everyone = [
        ("A", 0.75, "popular", "no purchases yet: bought by 75% (3 of 4) of all buyers"),
        ("B", 0.75, "popular", "no purchases yet: bought by 75% (3 of 4) of all buyers"),
        ("C", 0.5, "popular", "no purchases yet: bought by 50% (2 of 4) of all buyers"),
        ("D", 0.25, "popular", "no purchases yet: bought by 25% (1 of 4) of all buyers"),
    ]
    assert offered(shop, "c6") == everyone  # no segment
    assert offered(shop, "c7") == everyone  # a segment nobody in it bought from
    with pytest.raises(NotFoundError):
        next_best_offers(shop, "nobody")


def test_the_model_is_built_once_and_refreshed_on_demand(store: GraphStore) -> None:
    build(store)
    model = offer_model(store)
    assert offer_model(store) is model
    assert list(model.buyers) == [3, 3, 2, 1, 0]
    store.upsert_nodes("Touchpoint", table([{"touchpoint_id": "t12", "kind": "purchase"}]))
    store.upsert_relationships("HAD", table([{"from": "c1", "to": "t12"}]))
    store.upsert_relationships("FOR_PRODUCT", table([{"from": "t12", "to": "E"}]))
    # the co-purchase counts and popularity come from the cached model until it is refreshed
    assert [o["product_id"] for o in next_best_offers(store, "c5")] == ["A", "B", "C"]
    assert list(offer_model(store, refresh=True).buyers) == [3, 3, 2, 1, 1]
    assert [o["product_id"] for o in next_best_offers(store, "c5")] == ["A", "B", "C", "E"]


def test_offers_purchases(shop: GraphStore) -> None:
    rows = shop.query(
        "offers_purchases", kinds=["purchase"], void_outcomes=["refunded", "cancelled"]
    )
    assert sorted((r["customer_id"], r["segment"], r["product_id"]) for r in rows) == [
        ("c1", "premium", "A"),
        ("c1", "premium", "B"),
        ("c2", "premium", "A"),
        ("c2", "premium", "B"),
        ("c2", "premium", "C"),
        ("c3", "consumer", "A"),
        ("c3", "consumer", "C"),
        ("c4", "consumer", "B"),
        ("c4", "consumer", "D"),
    ]


def test_offers_products(shop: GraphStore) -> None:
    assert shop.query("offers_products") == [
        {"product_id": p, "name": f"Product {p}", "category": "cat"} for p in "ABCDE"
    ]


def test_offers_customer_products(shop: GraphStore) -> None:
    def bought(customer: str) -> list[tuple]:
        rows = shop.query(
            "offers_customer_products",
            customer_id=customer,
            kinds=["purchase"],
            void_outcomes=["refunded"],
        )
        return sorted((r["segment"], r["product_id"] or "") for r in rows)

    assert bought("c3") == [("consumer", "A"), ("consumer", "C")]
    assert bought("c2") == [("premium", "A"), ("premium", "A"), ("premium", "B"), ("premium", "C")]
    assert bought("c5") == [("premium", "")]
    assert bought("nobody") == []


def test_offers_command(tmp_path: Path) -> None:
    db = str(tmp_path / "g.lbug")
    with open_store(db) as graph:
        build(graph)
    runner = CliRunner()
    result = runner.invoke(app, ["offers", "c1", "--store", db, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert [o["product_id"] for o in json.loads(result.stdout)] == ["C", "D"]
    csv_out = runner.invoke(app, ["offers", "c5", "--store", db, "--top", "1", "-f", "csv"])
    assert csv_out.stdout.splitlines() == [
        "product_id,name,category,score,basis,reason",
        "A,Product A,cat,1.0,popular,"
        "no purchases yet: bought by 100% (2 of 2) of buyers in segment premium",
    ]
    unknown = runner.invoke(app, ["offers", "nobody", "--store", db])
    assert unknown.exit_code == 1 and "no customer" in unknown.stderr
