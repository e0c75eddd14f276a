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

from graph360.analytics.influence import compute_influence
from graph360.periods import utc_now
from graph360.store.base import GraphStore
from graph360.views import INFLUENCE_MAX_EDGES, INFLUENCE_MAX_NODES
from graph360.views.customer import DIRECTED, KIND_COLOUR
from graph360.views.render import (
    BIG,
    GREY,
    PALETTE,
    Graph,
    LegendItem,
    cap,
    cluster_layout,
    scale,
    text,
)

__all__ = ["GRAPHQL", "MAX_EDGES", "MAX_NODES", "build", "render"]

#: The GraphQL query that gives this view's data (the API's ``influencers`` root field).
GRAPHQL = """\
query InfluenceView($first: Int) {
  influencers(first: $first) {
    customerId
    name
    score
    rank
    reach
    community
    computedAt
    customer {
      relationships {
        edges {
          node { direction kind weight customer { id name influence { score rank community } } }
        }
      }
    }
  }
}
"""

#: Default caps: a page a browser lays out in seconds.
MAX_NODES, MAX_EDGES = INFLUENCE_MAX_NODES, INFLUENCE_MAX_EDGES
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
    """The view's graph: the ``first`` top influencers and everyone related to them.

    Works on frames (one pass per list, no per-row queries): 5,000 people and 20,000
    relationships build in well under a second (bench/views.py).
    """
    now = now or utc_now()
    notes: list[str] = []
    top = store.frame("influence_stored", limit=first).reindex(columns=_STORED)
    computed: pd.DataFrame | None = None
    if top.empty and first > 0:
        result = compute_influence(store, now=now)
        computed = result.table.set_index("customer_id")
        top = _people(store, result.table.head(first)["customer_id"].tolist(), computed)
        top = top.reset_index().reindex(columns=_STORED)
        top["influence_at"] = result.computed_at
        notes.append(
            "Influence had not been stored: computed for this page and not saved "
            "(run `graph360 influence` to store it)."
        )
    top_ids = top["customer_id"].tolist()
    scored_at = _when(top["influence_at"].iloc[0]) if len(top) else None

    raw = store.frame("influence_neighbourhood", ids=top_ids) if top_ids else pd.DataFrame()
    raw = raw.reindex(columns=_EDGES).drop_duplicates(["source", "target", "kind"])
    if computed is not None:
        ends = pd.unique(pd.concat([raw["source"], raw["target"]], ignore_index=True))
        pagerank = computed["pagerank"].reindex(ends).fillna(0.0)
    else:
        pagerank = pd.concat(
            [
                pd.Series(raw["source_pagerank"].to_numpy(), index=raw["source"].to_numpy()),
                pd.Series(raw["target_pagerank"].to_numpy(), index=raw["target"].to_numpy()),
            ]
        )
        pagerank = pd.to_numeric(pagerank, errors="coerce").fillna(0.0)
    pagerank = pd.concat(
        [pd.to_numeric(top.set_index("customer_id")["pagerank"]).fillna(0.0), pagerank]
    )
    score = pagerank[~pagerank.index.duplicated()].to_dict()

    # Nodes first by PageRank (the top influencers always stay), edges by weight; among equal
    # weights, those between more influential people first.
    weight = pd.to_numeric(raw["weight"], errors="coerce").fillna(1.0).to_numpy()
    sources, targets, kinds = (raw[c].to_numpy() for c in ("source", "target", "kind"))
    ids = list(dict.fromkeys([*top_ids, *sources, *targets]))
    skeleton = [{"id": c, "_rank": score.get(c, 0.0)} for c in ids]
    pull = raw["source"].map(score).to_numpy() + raw["target"].map(score).to_numpy()
    order = np.argsort(-pull, kind="stable")
    links = [
        {"from": s, "to": t, "_kind": k, "_weight": float(w)}
        for s, t, k, w in zip(
            sources[order], targets[order], kinds[order], weight[order], strict=True
        )
    ]
    kept, links, capped = cap(
        skeleton, links, max_nodes=max_nodes, max_edges=max_edges, keep=top_ids
    )
    if capped.capped:
        notes.append(capped.note("people", "relationships"))

    kept_ids = [n["id"] for n in kept]
    people = _people(store, kept_ids, computed).reindex(kept_ids)
    community = people["community"].astype(object).where(people["community"].notna(), None)
    communities = Counter(community.tolist())
    coloured = [
        c
        for c, _ in sorted(communities.items(), key=lambda kv: (-kv[1], _order(kv[0])))
        if c is not None
    ][: len(PALETTE)]
    colour = {c: PALETTE[i] for i, c in enumerate(coloured)}
    highest = max((score.get(c, 0.0) for c in kept_ids), default=0.0)
    leaders = set(top_ids)
    labelled = set(sorted(kept_ids, key=lambda c: -score.get(c, 0.0))[:LABELLED]) | leaders

    nodes = []
    for c, name, rank, reach, group, segment in zip(
        kept_ids,
        people["name"].tolist(),
        people["influence_rank"].tolist(),
        people["reach"].tolist(),
        community.tolist(),
        people["segment"].tolist(),
        strict=True,
    ):
        name = name if isinstance(name, str) and name else c
        rank = None if pd.isna(rank) else int(rank)
        is_top = c in leaders
        nodes.append(
            {
                "id": c,
                "label": (f"#{rank} {name}" if is_top and rank else name) if c in labelled else "",
                "heading": name,
                # Written out rather than with lines(): thousands of nodes, one f-string each.
                "title": (
                    f"{name}\n{'Top influencer' if is_top else 'Related to a top influencer'}"
                    f"\nCustomer id: {c}"
                    + (f"\nInfluence rank: {rank:,}" if rank is not None else "")
                    + f"\nPageRank: {score.get(c, 0.0):.6f}"
                    + (f"\nReach (2 hops): {int(reach):,}" if not pd.isna(reach) else "")
                    + (f"\nCommunity: {group}" if group is not None else "")
                    + (f"\nSegment: {segment}" if isinstance(segment, str) and segment else "")
                ),
                "color": colour.get(group, GREY),
                "size": scale(score.get(c, 0.0), highest, low=5, high=45),
                "borderWidth": 3 if is_top else 1,
                "_group": group,
            }
        )
        if is_top:
            nodes[-1]["font"] = {"size": 16}
    edges = [
        {
            "from": e["from"],
            "to": e["to"],
            "title": f"{e['_kind']} relationship\nWeight: {e['_weight']:,.2f}",
            "color": KIND_COLOUR.get(e["_kind"], "#7f7f7f"),
            "width": round(0.5 + min(e["_weight"], 4.0), 2),
            "arrows": "to" if e["_kind"] in DIRECTED else "",
        }
        for e in links
    ]
    # A big network is laid out here, by community (no physics: a browser would take minutes
    # to simulate thousands of nodes); a small one is left to vis-network's physics.
    physics = len(nodes) <= BIG
    if not physics:
        xs, ys = cluster_layout([n["_group"] for n in nodes])
        for node, x, y in zip(nodes, xs.tolist(), ys.tolist(), strict=True):
            node["x"], node["y"] = round(x, 1), round(y, 1)

    legend = [
        *(
            LegendItem(f"Community {c}", colour[c], note=f"{communities[c]:,} shown")
            for c in coloured
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
    if not physics:
        legend.append(LegendItem("Position: grouped by community", GREY, "box"))
    facts = [
        ("Top influencers", text(len(top_ids))),
        ("People shown", f"{capped.nodes_shown:,} of {capped.nodes_total:,}"),
        ("Relationships shown", f"{capped.edges_shown:,} of {capped.edges_total:,}"),
        ("Communities shown", text(len(communities))),
        ("Influence computed", text(scored_at) if scored_at else "—"),
    ]
    if top_ids:
        leader = top.iloc[0]
        name = leader["name"] if isinstance(leader["name"], str) else leader["customer_id"]
        facts.insert(0, ("Most influential", name))
    else:
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
        physics=physics,
        # Many small components: vis-network's improved layout gives up on them (and says so).
        # Shared by every node and edge (smaller pages than per-item settings).
        options={
            "layout": {"improvedLayout": False},
            "nodes": {"font": {"size": 11}},
            "edges": {"color": {"opacity": 0.6}},
        },
    )


def render(store: GraphStore, **params: Any) -> str:
    """The complete HTML page of the influence view."""
    from graph360.views.render import to_html

    return to_html(build(store, **params))


_STORED = [
    "customer_id",
    "name",
    "pagerank",
    "influence_rank",
    "reach",
    "community",
    "influence_at",
]
_EDGES = ["source", "target", "kind", "weight", "source_pagerank", "target_pagerank"]
_PEOPLE = ["name", "segment", "pagerank", "influence_rank", "reach", "community"]


def _people(store: GraphStore, ids: list[str], computed: pd.DataFrame | None) -> pd.DataFrame:
    """Name, segment and influence of ``ids`` (indexed by customer id); the scores from
    ``computed`` when influence was computed for this page."""
    frame = store.frame("influence_people", ids=ids) if ids else pd.DataFrame()
    frame = frame.reindex(columns=["customer_id", *_PEOPLE]).set_index("customer_id")
    if computed is not None:
        fresh = computed.reindex(frame.index)
        for column in ("pagerank", "influence_rank", "reach", "community"):
            frame[column] = fresh[column]
    return frame


def _order(community: Any) -> int:
    return int(community) if community is not None else 1 << 62


def _when(value: Any) -> dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()
