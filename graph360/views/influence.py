"""The influence view: the top influencers and the people around them.

Scores are those :mod:`graph360.analytics.influence` computed and stored on the customers
(PageRank, rank, reach, community), read with ``influence_stored`` / ``influence_people``;
when nothing is stored yet they are computed with :func:`compute_influence` (not written: the
view opens the store read-only) and the page says so. The network is every relationship
touching a top influencer (``influence_neighbourhood``). Node size is PageRank, colour the
community (the largest communities on the page get a colour each, the rest are grey).

Big graphs: a top influencer can have tens of thousands of followers. Above ``max_nodes`` the
people with the lowest PageRank are left out (the top influencers always stay), above
``max_edges`` the weakest relationships; the page says how many of each it shows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from graph360.analytics.influence import compute_influence, stored_influence
from graph360.store.base import GraphStore
from graph360.views.customer import DIRECTED, KIND_COLOUR
from graph360.views.render import GREY, PALETTE, Graph, LegendItem, cap, lines, scale, text

__all__ = ["GRAPHQL", "MAX_EDGES", "MAX_NODES", "build", "render"]

#: The GraphQL query that gives this view's data (the API's ``influencers`` root field).
GRAPHQL = """\
query InfluenceView($first: Int) {
  influencers(first: $first) {
    id
    name
    influence { score rank reach community }
    relationships {
      edges { node { kind weight customer { id name influence { score community } } } }
    }
  }
}
"""

#: Default caps: a page a browser lays out in seconds.
MAX_NODES = 1500
MAX_EDGES = 5000
#: People beyond this many (by PageRank) are drawn without a label (name in the tooltip).
LABELLED = 150


def build(
    store: GraphStore,
    *,
    first: int = 25,
    max_nodes: int = MAX_NODES,
    max_edges: int = MAX_EDGES,
    now: dt.datetime | None = None,
) -> Graph:
    """The view's graph: the ``first`` top influencers and everyone related to them."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    top = stored_influence(store, limit=first)
    computed: pd.DataFrame | None = None
    notes: list[str] = []
    if not top and first > 0:
        result = compute_influence(store, now=now)
        computed = result.table.set_index("customer_id")
        ranked = result.table.head(first)["customer_id"].tolist()
        people = {r["customer_id"]: r for r in store.query("influence_people", ids=ranked)}
        top = [
            {**people[c], **_scores(computed, c), "influence_at": result.computed_at}
            for c in ranked
            if c in people
        ]
        notes.append(
            "Influence had not been stored: computed for this page and not saved "
            "(run `graph360 influence` to store it)."
        )
    top_ids = [r["customer_id"] for r in top]
    scored_at = top[0]["influence_at"] if top else None

    raw = store.frame("influence_neighbourhood", ids=top_ids) if top_ids else pd.DataFrame()
    raw = raw.reindex(
        columns=["source", "target", "kind", "weight", "source_pagerank", "target_pagerank"]
    )
    raw = raw.drop_duplicates(["source", "target", "kind"])
    pagerank: dict[str, float] = {}
    if computed is not None:
        ends = pd.unique(pd.concat([raw["source"], raw["target"]], ignore_index=True))
        scores = computed["pagerank"].reindex(ends).fillna(0.0)
        pagerank = dict(zip(scores.index, scores.to_numpy(), strict=True))
    else:
        for end in ("source", "target"):
            values = raw[f"{end}_pagerank"].astype(float).fillna(0.0).to_numpy()
            pagerank.update(zip(raw[end].to_numpy(), values, strict=True))
    for row in top:
        pagerank[row["customer_id"]] = row["pagerank"] or 0.0

    # Nodes first by PageRank (the top influencers always stay), edges by weight.
    weight = pd.to_numeric(raw["weight"], errors="coerce").fillna(1.0).to_numpy()
    ids = list(dict.fromkeys([*top_ids, *raw["source"], *raw["target"]]))
    skeleton = [{"id": c, "_rank": pagerank.get(c, 0.0)} for c in ids]
    order = np.argsort(
        -(raw["source"].map(pagerank).to_numpy() + raw["target"].map(pagerank).to_numpy()),
        kind="stable",
    )
    links = [
        {"from": s, "to": t, "_kind": k, "_weight": float(w)}
        for s, t, k, w in zip(
            raw["source"].to_numpy()[order],
            raw["target"].to_numpy()[order],
            raw["kind"].to_numpy()[order],
            weight[order],
            strict=True,
        )
    ]
    kept, links, capped = cap(
        skeleton, links, max_nodes=max_nodes, max_edges=max_edges, keep=top_ids
    )
    if capped.capped:
        notes.append(capped.note("people", "relationships"))

    kept_ids = [n["id"] for n in kept]
    people = {r["customer_id"]: r for r in store.query("influence_people", ids=kept_ids)}
    if computed is not None:
        for c, row in people.items():
            row.update(_scores(computed, c))
    communities = Counter(people[c]["community"] for c in kept_ids if c in people)
    coloured = [
        community
        for community, _ in sorted(
            communities.items(), key=lambda kv: (-kv[1], kv[0] if kv[0] is not None else 1 << 62)
        )
        if community is not None
    ][: len(PALETTE)]
    colour = {community: PALETTE[i] for i, community in enumerate(coloured)}
    highest = max((pagerank.get(c, 0.0) for c in kept_ids), default=0.0)
    leaders = set(top_ids)
    labelled = set(sorted(kept_ids, key=lambda c: -pagerank.get(c, 0.0))[:LABELLED]) | leaders

    nodes = []
    for c in kept_ids:
        person = people.get(c, {"name": None, "community": None})
        name = person.get("name") or c
        rank = person.get("influence_rank")
        is_top = c in leaders
        nodes.append(
            {
                "id": c,
                "label": (f"#{rank} {name}" if is_top and rank else name) if c in labelled else "",
                "heading": name,
                "title": lines(
                    name,
                    "Top influencer" if is_top else "Related to a top influencer",
                    ("Customer id", c),
                    ("Influence rank", rank),
                    ("PageRank", f"{pagerank.get(c, 0.0):.6f}"),
                    ("Reach (2 hops)", person.get("reach")),
                    ("Community", person.get("community")),
                    ("Segment", person.get("segment")),
                ),
                "color": colour.get(person.get("community"), GREY),
                "size": scale(pagerank.get(c, 0.0), highest, low=5, high=45),
                "borderWidth": 3 if is_top else 1,
                "font": {"size": 16 if is_top else 11},
            }
        )
    edges = [
        {
            "from": e["from"],
            "to": e["to"],
            "title": lines(f"{e['_kind']} relationship", ("Weight", e["_weight"])),
            "color": {"color": KIND_COLOUR.get(e["_kind"], "#7f7f7f"), "opacity": 0.6},
            "width": round(0.5 + min(e["_weight"], 4.0), 2),
            "arrows": "to" if e["_kind"] in DIRECTED else "",
        }
        for e in links
    ]

    legend = [
        *(
            LegendItem(
                f"Community {community}",
                colour[community],
                note=f"{communities[community]:,} shown",
            )
            for community in coloured
        ),
        LegendItem(
            "Other communities",
            GREY,
            note=f"{sum(n for c, n in communities.items() if c not in colour):,} shown",
        ),
        LegendItem("Node size: PageRank", PALETTE[0], "size", note="thick border: top influencer"),
        *(
            LegendItem(
                f"Relationship: {kind}",
                colour_,
                "line",
                note="arrow points to who holds the influence" if kind in DIRECTED else "both ways",
            )
            for kind, colour_ in KIND_COLOUR.items()
        ),
    ]
    facts = [
        ("Top influencers", text(len(top_ids))),
        ("People shown", f"{capped.nodes_shown:,} of {capped.nodes_total:,}"),
        ("Relationships shown", f"{capped.edges_shown:,} of {capped.edges_total:,}"),
        ("Communities shown", text(len(communities))),
        ("Influence computed", text(scored_at) if scored_at else "—"),
    ]
    if top:
        leader = top[0]
        facts.insert(0, ("Most influential", f"{leader['name'] or leader['customer_id']}"))
    if not top:
        notes.append("No customers: nothing to show.")
    return Graph(
        view="influence",
        title="Influencers and their network",
        subtitle=(
            f"The {len(top_ids)} most influential customers (weighted PageRank) and everyone "
            "related to them; size by PageRank, colour by community."
        ),
        as_of=now,
        nodes=nodes,
        edges=edges,
        legend=legend,
        graphql=GRAPHQL,
        variables={"first": first},
        facts=facts,
        notes=notes,
        # Many small components: vis-network's improved layout gives up on them (and says so).
        options={"layout": {"improvedLayout": False}},
    )


def render(store: GraphStore, **params: Any) -> str:
    """The complete HTML page of the influence view."""
    from graph360.views.render import to_html

    return to_html(build(store, **params))


def _scores(table: pd.DataFrame, customer_id: str) -> dict[str, Any]:
    """A customer's freshly computed scores, as the stored fields are named."""
    if customer_id not in table.index:
        return {}
    row = table.loc[customer_id]
    return {
        "pagerank": float(row["pagerank"]),
        "influence_rank": int(row["influence_rank"]),
        "reach": int(row["reach"]),
        "community": int(row["community"]),
    }
