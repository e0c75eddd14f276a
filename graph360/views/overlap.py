"""The overlap view: departments (or divisions) as nodes sized by the customers they reached,
edges weighted by the customers two of them share, with their contact collisions.

Readable at every size: the units on a circle (division by division, laid out here), edges as
wide as the customers shared and coloured on a collision-rate scale (collision customers / shared
customers, five steps split at the quintiles of the rates), so the colours tell pairs apart;
the pairs with the most collisions keep their label where two would overlap.

Every figure comes from :mod:`graph360.analytics.overlap` (its definitions of *reached*,
*overlap* and *contact collision* hold here unchanged): :func:`reach` and
:func:`pairwise_overlap` for audiences and shared customers, :func:`contact_collisions` for the
collisions, response rates and the suggested sequence. Clicking an edge lists the pair's
figures in the side panel.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

import numpy as np

from graph360.analytics.overlap import (
    contact_collisions,
    pairwise_overlap,
    reach,
    units,
)
from graph360.periods import Period, parse_period, parse_window, utc_now
from graph360.store.base import GraphStore
from graph360.views.render import PALETTE, Graph, LegendItem, lines, ring, scale, text

__all__ = ["GRAPHQL", "build", "render"]

#: The GraphQL query that gives this view's data (the API's ``overlap`` root field).
GRAPHQL = """\
query OverlapView($by: Grouping!, $since: DateOrTime, $until: DateOrTime, $windowHours: Float!) {
  overlap(by: $by, since: $since, until: $until, windowHours: $windowHours) {
    by
    since
    until
    units { unit name reached contacted contacts }
    pairs { unitA unitB nameA nameB customersA customersB both union jaccard overlap }
    collisions {
      windowHours
      customers
      contacts
      pairs { unitA unitB customers aFirst bFirst medianGapHours }
      sequence { first then advice reason }
      response { unit contacts responded responseRate }
    }
  }
}
"""

SHARED = "#8c96a3"
#: The collision-rate scale, light to dark (ColorBrewer OrRd, its palest step left out: a line
#: must show on white).
RATE_COLOURS = ("#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000")


def build(
    store: GraphStore,
    *,
    by: str = "department",
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    window_hours: float = 48,
    now: dt.datetime | None = None,
) -> Graph:
    """The view's graph: one node per unit, one edge per pair sharing customers."""
    now = now or utc_now()
    period, window_hours = parse_period(since, until), parse_window(window_hours)
    start, end = period.since, period.until
    reached = reach(store, by=by, since=start, until=end)
    pairs = pairwise_overlap(reached)
    collisions = contact_collisions(
        store,
        by=by,
        since=start,
        until=end,
        window_hours=window_hours,
        top=0,
    )
    ids, names, sizes = reached.units.ids, reached.units.names, reached.sizes
    colliding = {frozenset((p["unit_a"], p["unit_b"])): p for p in collisions.pairs}
    advice = {frozenset((s["first"], s["then"])): s for s in collisions.sequence}
    response = {r["unit"]: r for r in collisions.response}

    # Colour: the division of each department (by department), or one colour per division.
    if by == "department":
        division_of = units(store, "division").of_department
        groups = sorted({division_of.get(u, u) for u in ids})
        group_of = {u: division_of.get(u, u) for u in ids}
    else:
        groups = list(ids)
        group_of = {u: u for u in ids}
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}

    top = int(sizes.max()) if len(sizes) else 0
    # Laid out on a circle, division by division, wide enough for every name.
    order = sorted(range(len(ids)), key=lambda i: (groups.index(group_of[ids[i]]), i))
    radius = max(320.0, len(ids) * 150 / (2 * math.pi))
    at = {ids[i]: xy for i, xy in zip(order, ring(len(ids), radius), strict=True)}
    involved = {u: 0 for u in ids}
    for pair in collisions.pairs:
        involved[pair["unit_a"]] += pair["customers"]
        involved[pair["unit_b"]] += pair["customers"]
    nodes = []
    for unit, name, size in zip(ids, names, sizes, strict=True):
        stats = response.get(unit, {})
        nodes.append(
            {
                "id": unit,
                "label": f"{name}\n{int(size):,}",
                "heading": name,
                "title": lines(
                    name,
                    ("Id", unit),
                    ("Division", group_of[unit]) if by == "department" else None,
                    ("Customers reached", int(size)),
                    ("Contacts", stats.get("contacts")),
                    ("Response rate", _share(stats.get("response_rate"))),
                    ("Customers in collisions (summed over pairs)", involved[unit]),
                ),
                "color": colour[group_of[unit]],
                "size": scale(int(size), top, low=12, high=55),
                "borderWidth": 3 if involved[unit] else 1,
                "x": at[unit][0],
                "y": at[unit][1],
                "font": {"size": 16},
                "priority": 100,
            }
        )

    most = max((p["both"] for p in pairs), default=0)
    rates = {}  # collision customers / shared customers, per pair with collisions
    for pair in pairs:
        key = frozenset((pair["unit_a"], pair["unit_b"]))
        if pair["both"] and key in colliding:
            rates[key] = colliding[key]["customers"] / pair["both"]
    bins = _bins(list(rates.values()))
    edges = []
    for pair in pairs:
        key = frozenset((pair["unit_a"], pair["unit_b"]))
        hit = colliding.get(key)
        if pair["both"] == 0 and hit is None:
            continue
        tip = advice.get(key)
        rate = rates.get(key)
        label = f"{pair['both']:,} shared"
        if rate is not None:
            label += f"\n{_pct(rate)} collide"
        edges.append(
            {
                "id": f"{pair['unit_a']}|{pair['unit_b']}",
                "from": pair["unit_a"],
                "to": pair["unit_b"],
                "label": label,
                "heading": f"{pair['name_a']} and {pair['name_b']}",
                "title": lines(
                    f"{pair['name_a']} and {pair['name_b']}",
                    ("Shared customers", pair["both"]),
                    (f"Reached by {pair['name_a']}", pair["customers_a"]),
                    (f"Reached by {pair['name_b']}", pair["customers_b"]),
                    ("Reached by either", pair["union"]),
                    ("Jaccard", _ratio(pair["jaccard"])),
                    ("Overlap coefficient", _ratio(pair["overlap"])),
                    (
                        f"Collisions within {window_hours:g} h",
                        hit["customers"] if hit else 0,
                    ),
                    ("Collision rate (of the shared customers)", _pct(rate) if rate else "0%"),
                    (f"{pair['name_a']} first", hit["a_first"]) if hit else None,
                    (f"{pair['name_b']} first", hit["b_first"]) if hit else None,
                    ("Median closest gap (h)", hit["median_gap_hours"]) if hit else None,
                    ("Suggested sequence", tip["advice"]) if tip else None,
                    ("Why", tip["reason"]) if tip else None,
                ),
                "width": round(1 + 11 * (pair["both"] / most), 2) if most else 1,
                "color": SHARED if rate is None else _colour(rate, bins),
                "priority": (hit["customers"] if hit else 0) + pair["both"] / (most + 1),
            }
        )
    _rank_below_nodes(edges)

    period = str(Period(reached.since, reached.until))
    unit_word = "departments" if by == "department" else "divisions"
    legend = [
        *(LegendItem(f"Division {g}" if by == "department" else g, colour[g]) for g in groups),
        LegendItem(
            f"Node size: customers the unit reached ({period})",
            PALETTE[0],
            "size",
            note="campaign targets and touchpoints it handled or ran; thick border: in collisions",
        ),
        LegendItem(
            "Customers shared by two units",
            SHARED,
            "line",
            note="width: shared customers; grey: no contact collisions",
        ),
        *(
            LegendItem(
                f"Collision rate {_pct(low)} to {_pct(high)}",
                colour_,
                "line",
                note=f"of the shared customers, contacted by both within {window_hours:g} h"
                if i == len(bins) - 1
                else "",
            )
            for i, ((low, high), colour_) in enumerate(
                zip(bins, RATE_COLOURS[len(RATE_COLOURS) - len(bins) :], strict=True)
            )
        ),
    ]
    facts = [
        ("Units", f"{len(ids)} {unit_word}"),
        ("Period", period),
        ("Customers reached", text(int(reached.matrix.shape[0]))),
        ("Pairs sharing customers", text(sum(p["both"] > 0 for p in pairs))),
        (f"Customers in collisions ({window_hours:g} h)", text(collisions.customers)),
        ("Contacts", text(collisions.contacts)),
    ]
    return Graph(
        view="overlap",
        title=f"Overlap between {unit_word}",
        subtitle=(
            f"Who reaches the same customers ({period}), and who contacts them within "
            f"{window_hours:g} h of each other."
        ),
        as_of=now,
        nodes=nodes,
        edges=edges,
        legend=legend,
        graphql=GRAPHQL,
        variables={
            "by": by.upper(),
            "since": _iso(reached.since),
            "until": _iso(reached.until),
            "windowHours": float(window_hours),
        },
        facts=facts,
        notes=[] if edges else [f"No two {unit_word} share a customer in this period."],
        options={"edges": {"font": {"size": 13}}},
    )


def render(store: GraphStore, **params: Any) -> str:
    """The complete HTML page of the overlap view."""
    from graph360.views.render import to_html

    return to_html(build(store, **params))


def _bins(rates: list[float]) -> list[tuple[float, float]]:
    """Up to five steps of collision rate, split at the quintiles of the rates there are
    (rounded to two significant figures), so each colour marks about as many pairs and the
    colours tell the pairs apart (not red as soon as one collision exists)."""
    if not rates:
        return []
    cuts = [float(f"{q:.2g}") for q in np.quantile(rates, [0.2, 0.4, 0.6, 0.8])]
    edges = sorted({0.0, *cuts, float(f"{max(rates):.2g}")})
    return list(itertools.pairwise(edges))[-len(RATE_COLOURS) :]


def _colour(rate: float, bins: list[tuple[float, float]]) -> str:
    """The scale's colour for ``rate``."""
    colours = RATE_COLOURS[len(RATE_COLOURS) - len(bins) :]
    for (_, high), colour in zip(bins, colours, strict=True):
        if rate <= high:
            return colour
    return colours[-1]


def _pct(value: float) -> str:
    """A rate as people read it: one decimal below 10%, none above."""
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def _ratio(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f}"


def _share(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _rank_below_nodes(edges: list[dict[str, Any]]) -> None:
    """Edge priorities from 0 to 99 in the order of their collisions (then shared customers):
    the department labels (100) always win, whatever the counts (tens of thousands at 1M)."""
    highest = max((e["priority"] for e in edges), default=0.0)
    for edge in edges:
        edge["priority"] = round(99 * edge["priority"] / highest, 3) if highest else 0.0
