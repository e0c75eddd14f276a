"""The whole overlap report: every measure from one projection of the period."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graph360.analytics.overlap.base import PRIOR_CUSTOMERS, PROFILE, By, _as_of, _reader
from graph360.analytics.overlap.collisions import Collisions, _collisions
from graph360.analytics.overlap.cross_sell import _cross_sell
from graph360.analytics.overlap.projection import _project
from graph360.analytics.overlap.reach import _reach, exclusive_intersections, pairwise_overlap
from graph360.store.base import GraphStore


@dataclass
class OverlapReport:
    """Everything ``graph360 overlap`` shows, as plain data."""

    by: str
    since: dt.datetime | None
    until: dt.datetime | None
    window_hours: float
    units: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    intersections: list[dict[str, Any]]
    collisions: Collisions
    cross_sell: list[dict[str, Any]]
    #: The graph version the answer reflects (None: read straight from the store).
    as_of: dict[str, Any] | None = None
    #: How many people consent left out of the cross-sell candidates (graph360.consent).
    cross_sell_left_out_by_consent: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def overlap_report(
    store: GraphStore,
    *,
    by: By = "department",
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    window_hours: float = 48,
    top: int = 10,
    min_lift: float = 1.0,
    use_facts: bool = True,
) -> OverlapReport:
    """Overlap, intersections, collisions and cross-sell from one pull of the projections.

    ``since`` / ``until`` are period bounds: a date includes its whole day; a datetime
    ``until`` is exclusive. ``top`` limits the worst offenders and the cross-sell candidates
    per unit; pairs and intersections are always complete. ``use_facts`` false reads the store
    with multi-hop Cypher instead of the facts projection (same answers, much slower at scale).
    """
    store = _reader(store, use_facts)
    projection = _project(store, by, since, until)
    chosen = projection.units
    k = len(chosen.ids)
    reached = _reach(projection)
    contacts = np.bincount(projection.contact_unit, minlength=k)
    contacted = (
        pd.DataFrame({"c": projection.contact_cust, "u": projection.contact_unit})
        .drop_duplicates()
        .groupby("u")
        .size()
        .reindex(range(k), fill_value=0)
        .to_numpy()
    )
    sizes = reached.sizes
    left_out: dict[str, Any] = {}
    cross_sell = _cross_sell(store, projection, top, min_lift, PROFILE, PRIOR_CUSTOMERS, left_out)
    summary = [
        {
            "unit": chosen.ids[u],
            "name": chosen.names[u],
            "reached": int(sizes[u]),
            "contacted": int(contacted[u]),
            "contacts": int(contacts[u]),
        }
        for u in range(k)
    ]
    return OverlapReport(
        by=by,
        since=projection.since,
        until=projection.until,
        window_hours=window_hours,
        units=summary,
        pairs=pairwise_overlap(reached),
        intersections=exclusive_intersections(reached),
        collisions=_collisions(store, projection, window_hours, top),
        cross_sell=cross_sell,
        as_of=_as_of(store),
        cross_sell_left_out_by_consent=left_out,
    )
