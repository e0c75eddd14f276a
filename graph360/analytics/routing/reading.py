"""What a run reads: rated touchpoints, complaints, scores, existing flags and actions, step
owners, from the facts projection or the named queries."""

from __future__ import annotations

from typing import Any

import pandas as pd

from graph360.analytics.follow_ups import FLAG_KINDS
from graph360.analytics.routing.rules import (
    DEFAULT_FALLBACK,
    FOLLOW_UP_KIND,
    _floats,
    promoter,
)
from graph360.errors import NotFoundError
from graph360.facts import routing as from_facts
from graph360.facts.tables import Facts
from graph360.model import COMPLAINT_KINDS
from graph360.store.base import GraphStore

# --- reading --------------------------------------------------------------------------------


def projection(
    store: GraphStore, name: str, columns: list[str], *, times: tuple[str, ...] = (), **params: Any
) -> pd.DataFrame:
    """A named query's rows as a frame that always has ``columns`` (even with no rows), the
    ``times`` columns as datetime64[us] whatever the backend returns."""
    return _typed(store.frame(name, **params), columns, times)


def _typed(frame: pd.DataFrame, columns: list[str], times: tuple[str, ...]) -> pd.DataFrame:
    frame = frame.reindex(columns=columns)
    if frame.empty:  # no rows: columns of no type at all would break joins and arithmetic
        frame = pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    for column in times:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame


def _scoped(
    store: GraphStore,
    scope: list[str] | None,
    names: tuple[str, str],
    columns: list[str],
    *,
    times: tuple[str, ...] = (),
    **params: Any,
) -> pd.DataFrame:
    """The whole-store query ``names[0]``, or per customer in ``scope`` the query ``names[1]``
    that walks from that customer's key: one call each, since LadybugDB looks a key up by its
    index for ``{customer_id: $customer_id}`` but joins over every row for a list of keys."""
    whole, per_customer = names
    if scope is None:
        return projection(store, whole, columns, times=times, **params)
    rows = [row for cid in scope for row in store.query(per_customer, customer_id=cid, **params)]
    return _typed(pd.DataFrame(rows), columns, times)


RATING_COLUMNS = [
    "customer_id",
    "touchpoint_id",
    "at",
    "kind",
    "rating",
    "rating_scale",
    "step_id",
    "step",
]
COMPLAINT_COLUMNS = ["customer_id", "touchpoint_id", "at", "kind", "text", "outcome", "resolution"]


def rated_touchpoints(
    store: GraphStore,
    scope: list[str] | None = None,
    projected: Facts | None = None,
    *,
    coded: bool = False,
) -> pd.DataFrame:
    """Every rated touchpoint (of the customers in ``scope``, if given), one row each (at the
    first step by id if it sits at several), with ``rating`` and ``rating_scale`` as floats.
    From the facts projection ``projected`` when given (a full run; ``coded``: customers as
    their codes)."""
    if projected is not None:
        ratings = _typed(from_facts.ratings(projected, coded=coded), RATING_COLUMNS, ("at",))
    else:
        ratings = _scoped(
            store, scope, ("routing_ratings", "routing_customer_ratings"), RATING_COLUMNS,
            times=("at",),
        )  # fmt: skip
    ratings["rating"] = _floats(ratings["rating"])
    ratings["rating_scale"] = _floats(ratings["rating_scale"])
    ratings = ratings.sort_values(["touchpoint_id", "step_id"], na_position="last")
    return ratings.drop_duplicates("touchpoint_id").reset_index(drop=True)


def read_complaints(
    store: GraphStore,
    scope: list[str] | None = None,
    projected: Facts | None = None,
    *,
    coded: bool = False,
) -> pd.DataFrame:
    """Every complaint (of the customers in ``scope``, if given), from the facts projection
    ``projected`` when given (``coded``: customers as their codes)."""
    if projected is not None:
        found = from_facts.complaints(projected, COMPLAINT_KINDS, coded=coded)
        return _typed(found, COMPLAINT_COLUMNS, ("at",))
    return _scoped(
        store,
        scope,
        ("routing_complaints", "routing_customer_complaints"),
        COMPLAINT_COLUMNS,
        times=("at",),
        kinds=list(COMPLAINT_KINDS),
    )


def _scores(store: GraphStore, scope: list[str] | None) -> pd.DataFrame:
    return _scoped(
        store,
        scope,
        ("routing_customer_scores", "routing_customer_score"),
        ["customer_id", "current_value", "potential_value", "at_risk", "value_at"],
        times=("value_at",),
    )


def _existing_flags(store: GraphStore, scope: list[str] | None) -> pd.DataFrame:
    return _scoped(
        store,
        scope,
        ("routing_flags", "routing_customer_flags"),
        ["flag_id", "customer_id", "kind", "severity", "status", "raised_at", "reason"],
        kinds=list(FLAG_KINDS),
    )


def _step_owners(store: GraphStore, steps: pd.Series | None) -> pd.DataFrame:
    """Who owns each step: every step, or only ``steps`` (by key)."""
    columns = ["step_id", "department_id"]
    if steps is None:
        return projection(store, "routing_step_owners", columns)
    wanted = sorted(steps.dropna().unique())
    if not wanted:
        return _typed(pd.DataFrame(), columns, ())
    return projection(store, "routing_owners_of_steps", columns, step_ids=wanted)


def _promoters_now(ratings: pd.DataFrame) -> pd.Index:
    """The customers whose latest rating (by time, then touchpoint id) is a promoter's."""
    latest = ratings.sort_values(["customer_id", "at", "touchpoint_id"]).drop_duplicates(
        "customer_id", keep="last"
    )
    return pd.Index(latest["customer_id"][promoter(latest["rating"], latest["rating_scale"])])


def _fallback(departments: pd.DataFrame, asked: str | None, *, needed: bool) -> str | None:
    ids = departments["department_id"].tolist()
    if asked is not None:
        if asked not in ids:
            known = ", ".join(ids) or "none"
            raise NotFoundError(f"no department {asked!r} to fall back to (known: {known})")
        return asked
    if DEFAULT_FALLBACK in ids:
        return DEFAULT_FALLBACK
    if ids:
        return ids[0]
    if needed:
        raise NotFoundError(
            "poor ratings at unowned steps need a fallback department and the graph has no "
            "departments: load departments.csv"
        )
    return None


def _existing_actions(store: GraphStore, ids: pd.Series | None = None) -> pd.DataFrame:
    """The follow-up actions that exist already (every one, or those with these ``ids``):
    status and department, by action id."""
    columns = ["action_id", "status", "department_id"]
    if ids is None:
        actions = projection(store, "routing_actions", columns, kind=FOLLOW_UP_KIND)
    else:
        actions = projection(
            store, "routing_actions_by_id", columns, action_ids=list(ids), kind=FOLLOW_UP_KIND
        )
    return actions.drop_duplicates("action_id").set_index("action_id")
