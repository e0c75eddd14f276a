"""Next-best offers: the products a customer is likely to want next, from what the customers who
bought the same things also bought.

Definitions
-----------

A customer **bought** a product when they have a purchase touchpoint ``FOR_PRODUCT`` it (the
purchase definition of :mod:`graph360.analytics.value`: a kind in ``PURCHASE_KINDS``, outcome
not voided; how many times does not matter). Over all buyers, ``n(i)`` is the number of
customers who bought product i and ``n(i, j)`` the number who bought both i and j.

- **Similarity** of two products is the cosine of their buyer sets:
  ``cos(i, j) = n(i, j) / sqrt(n(i) x n(j))`` (0 when nobody bought both).
- A customer who bought the products S is offered each product j not in S with the **score**
  ``sum over i in S of cos(i, j)``, best first (ties by product id); only products with a
  positive score are offered on this basis. Its **reason** names the product i in S most
  similar to j and the share of i's buyers who also bought j: "bought by 67% (2 of 3) of
  those who bought Cookbook".
- A customer who bought nothing is offered the products most popular in their segment: the
  score is the share of the segment's buyers who bought the product, and the reason says so
  ("no purchases yet: bought by 50% (1 of 2) of buyers in segment premium"). A customer with
  no segment, or whose segment has no buyers, gets the products most popular among all
  buyers. When co-purchases give fewer than ``top`` offers, the rest is topped up the same way
  (reason "popular in segment …"). Each offer says which ``basis`` it came from.

Consent: a customer who refused profiling (graph360.consent) is offered nothing (the card
says so), and their purchases are left out of the model.

Speed: the similarity matrix and the segment counts are computed once per store from one
projection (who bought what) and kept in memory (:func:`offer_model`; sparse, products x
products); an offer then costs one key lookup (the customer's own purchases, read fresh) and a
few sparse rows: milliseconds, whatever the number of customers. The cached model does not see
purchases made after it was built: call ``offer_model(store, refresh=True)`` (the API builds
it when it starts, so a restart refreshes it).

Worked example (``tests/test_offers.py``): buyers c1 {A, B}, c2 {A, B, C}, c3 {A, C},
c4 {B, D}. n(A) = 3, n(B) = 3, n(C) = 2, n(D) = 1; cos(A, B) = 2/3, cos(A, C) = 2/sqrt(6),
cos(B, C) = 1/sqrt(6), cos(B, D) = 1/sqrt(3). c1 is offered C (2/sqrt(6) + 1/sqrt(6) = 1.2247,
"bought by 67% (2 of 3) of those who bought A") and then D (1/sqrt(3) = 0.5774, "33% (1 of 3)
of those who bought B").
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from graph360 import consent
from graph360.analytics.routing import projection
from graph360.analytics.value import PURCHASE_KINDS, VOID_OUTCOMES
from graph360.errors import NotFoundError
from graph360.periods import utc_now
from graph360.store.base import GraphStore

__all__ = ["OfferModel", "build_offer_model", "next_best_offers", "offer_model", "recommend"]

#: The segment key of customers without a segment, and of the all-buyers popularity.
ALL = "\x00all"


@dataclass(frozen=True)
class OfferModel:
    """What offers are computed from: product facts, co-purchase counts and popularity."""

    product_ids: np.ndarray  #: every product id, sorted (a column's position is its rank)
    names: np.ndarray
    categories: np.ndarray
    position: dict[str, int]  #: product id -> column
    buyers: np.ndarray  #: n(i): customers who bought each product
    together: sparse.csr_matrix  #: n(i, j): customers who bought both (diagonal: n(i))
    similarity: sparse.csr_matrix  #: cos(i, j), zero diagonal
    segments: dict[str, tuple[int, np.ndarray]]  #: segment -> (its buyers, buyers per product)
    built_at: dt.datetime


def build_offer_model(store: GraphStore) -> OfferModel:
    """Build the co-purchase model from the store (one projection of who bought what)."""
    products = projection(store, "offers_products", ["product_id", "name", "category"])
    products = products.sort_values("product_id").set_index("product_id")
    pairs = projection(
        store,
        "offers_purchases",
        ["customer_id", "segment", "product_id"],
        kinds=list(PURCHASE_KINDS),
        void_outcomes=list(VOID_OUTCOMES),
    )
    # People who refused profiling are not profiled: their purchases do not feed the model.
    pairs = pairs[~consent.refusals(store, "next_best_offers").mask(pairs["customer_id"])]
    column = products.index.get_indexer(pairs["product_id"])
    pairs = pairs[column >= 0].assign(column=column[column >= 0])
    customer, _ = pd.factorize(pairs["customer_id"])
    size = len(products)
    bought = sparse.csr_matrix(
        (np.ones(len(pairs)), (customer, pairs["column"].to_numpy())),
        shape=(int(customer.max()) + 1 if len(customer) else 0, size),
    )
    bought.data[:] = 1.0  # a repeated (customer, product) pair counts once
    together = (bought.T @ bought).tocsr()
    buyers = together.diagonal()
    inverse = np.divide(1.0, np.sqrt(buyers), out=np.zeros(size), where=buyers > 0)
    scale = sparse.diags(inverse)
    similarity = (scale @ together @ scale).tocsr()
    similarity.setdiag(0.0)
    similarity.eliminate_zeros()

    segment = pairs["segment"].astype("string").fillna(ALL)
    counts = (
        pd.crosstab(segment, pairs["column"]).reindex(columns=range(size), fill_value=0)
        if len(pairs)
        else pd.DataFrame(columns=range(size))
    )
    per_segment = pairs.assign(segment=segment).groupby("segment")["customer_id"].nunique()
    segments = {
        name: (int(per_segment[name]), counts.loc[name].to_numpy(dtype=float))
        for name in counts.index
    }
    segments[ALL] = (int(pairs["customer_id"].nunique()), buyers.astype(float))
    ids = products.index.to_numpy(dtype=object)
    return OfferModel(
        product_ids=ids,
        names=products["name"].to_numpy(dtype=object),
        categories=products["category"].to_numpy(dtype=object),
        position={product: j for j, product in enumerate(ids)},
        buyers=buyers,
        together=together,
        similarity=similarity,
        segments=segments,
        built_at=utc_now(),
    )


_MODELS: weakref.WeakKeyDictionary[GraphStore, OfferModel] = weakref.WeakKeyDictionary()


def offer_model(store: GraphStore, *, refresh: bool = False) -> OfferModel:
    """The store's offer model, built on first use and kept while the store is open."""
    model = None if refresh else _MODELS.get(store)
    if model is None:
        model = _MODELS[store] = build_offer_model(store)
    return model


def next_best_offers(
    store: GraphStore, customer_id: str, top: int = 5, *, model: OfferModel | None = None
) -> list[dict[str, Any]]:
    """The ``top`` products to offer ``customer_id`` next, best first (module docstring).

    Each offer: product_id, name, category, score, basis (``co-purchase`` or ``popular``),
    reason. An unknown customer is refused with NotFoundError.
    """
    rows = store.query(
        "offers_customer_products",
        customer_id=customer_id,
        kinds=list(PURCHASE_KINDS),
        void_outcomes=list(VOID_OUTCOMES),
    )
    if not rows:
        raise NotFoundError(f"no customer {customer_id!r}")
    if consent.refuses(store, customer_id, "next_best_offers"):
        return []  # they refused profiling: no offer is worked out for them (graph360.consent)
    bought = sorted({r["product_id"] for r in rows if r["product_id"] is not None})
    return recommend(model or offer_model(store), bought, rows[0]["segment"], top)


def recommend(
    model: OfferModel, bought: list[str], segment: str | None, top: int = 5
) -> list[dict[str, Any]]:
    """Offers for a customer who bought ``bought`` and belongs to ``segment`` (pure)."""
    owned = np.array([model.position[p] for p in bought if p in model.position], dtype=np.int64)
    offers: list[dict[str, Any]] = []
    if len(owned):
        similar = model.similarity[owned].toarray()  # |S| x products
        score = similar.sum(axis=0)
        score[owned] = 0.0
        candidates = np.flatnonzero(score > 0)
        best = candidates[_order(score[candidates], candidates)][:top]
        row = similar[:, best].argmax(axis=0)  # the owned product most similar to each offer
        both = model.together[owned].toarray()[row, best]
        for j, i, n in zip(best, owned[row], both, strict=True):
            share = _share(n, model.buyers[i])
            reason = f"bought by {share} of those who bought {model.names[i]}"
            offers.append(_offer(model, j, float(score[j]), "co-purchase", reason))
    if len(offers) < top:
        taken = [o["product_id"] for o in offers]
        offers += _popular(model, segment, owned, taken, top - len(offers), first=not len(owned))
    return offers


def _popular(
    model: OfferModel,
    segment: str | None,
    owned: np.ndarray,
    taken: list[str],
    n: int,
    *,
    first: bool,
) -> list[dict[str, Any]]:
    """The ``n`` products most bought by the buyers of ``segment`` (all buyers when it has
    none), leaving out ``owned`` and ``taken``."""
    key = segment if segment is not None and segment in model.segments else ALL
    total, counts = model.segments[key]
    counts = counts.copy()
    counts[owned] = 0
    counts[[model.position[p] for p in taken]] = 0
    candidates = np.flatnonzero(counts > 0)
    best = candidates[_order(counts[candidates], candidates)][:n]
    who = f"buyers in segment {segment}" if key != ALL else "all buyers"
    lead = "no purchases yet" if first else "popular"
    return [
        _offer(
            model,
            j,
            float(counts[j] / total),
            "popular",
            f"{lead}: bought by {_share(counts[j], total)} of {who}",
        )
        for j in best
    ]


def _order(score: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Indices sorting ``score`` best first, ties by product id (columns are in id order)."""
    return np.lexsort((columns, -score))


def _offer(model: OfferModel, j: int, score: float, basis: str, reason: str) -> dict[str, Any]:
    return {
        "product_id": model.product_ids[j],
        "name": model.names[j],
        "category": model.categories[j],
        "score": round(score, 6),
        "basis": basis,
        "reason": reason,
    }


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%} ({int(part)} of {int(whole)})"
