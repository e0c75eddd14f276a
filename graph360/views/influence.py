"""The influence view: the top influencers and the people around them.

Scores are those :mod:`graph360.analytics.influence` computed and stored on the customers
(PageRank, rank, reach, community), read with ``influence_stored`` / ``influence_people``;
when nothing is stored yet they are computed with :func:`compute_influence` (not written: the
view opens the store read-only) and the page says so. The people around them come from every
relationship touching a top influencer (``influence_neighbourhood``). Node size is PageRank,
colour the community (the largest communities on the page get a colour each, the rest are
grey).

Big graphs: a top influencer can have tens of thousands of followers. The page summarises:
around each influencer its most influential people, the rest one "+N more" node (open the
influencer's customer view for them), so it is never a hairball, whatever the fan-out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import pandas as pd

from graph360.analytics.influence.scores import compute_influence
from graph360.periods import utc_now
from graph360.store.base import GraphStore
from graph360.views import INFLUENCE_PER_INFLUENCER
from graph360.views.customer_nodes import DIRECTED, KIND_COLOUR
from graph360.views.render import GREY, PALETTE, Graph, LegendItem, more, ring, scale, text

__all__ = ["GRAPHQL", "PER_INFLUENCER", "build", "render"]

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

#: People drawn around each top influencer (the most influential of those related to them);
#: the rest are one "+N more" node per influencer.
PER_INFLUENCER = INFLUENCE_PER_INFLUENCER
#: Canvas units: the side of each influencer's cell in the grid, the radius of its ring.
CELL, RADIUS = 340.0, 118.0


def build(
    store: GraphStore,
    *,
    first: int = 25,
    per_influencer: int = PER_INFLUENCER,
    now: dt.datetime | None = None,
) -> Graph:
    """The view's graph: the ``first`` top influencers, each with the ``per_influencer`` most
    influential people related to them around it and one "+N more" node for the rest.

    A summary at any size: at most ``first`` x (``per_influencer`` + 2) nodes, whatever the
    fan-out. Each related person is drawn once, around the influencer they are most strongly
    related to; relationships between two top influencers are drawn too. Laid out here: the
    influencers on a grid, community by community, each with its ring of people (no physics).
    Works on frames (one pass per list, no per-row queries).
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
    raw["weight"] = pd.to_numeric(raw["weight"], errors="coerce").fillna(1.0)

    # Each relationship seen from its top-influencer end (both ends when both are).
    leaders = set(top_ids)
    seen = pd.concat(
        [
            raw[raw["source"].isin(leaders)].assign(leader=raw["source"], other=raw["target"]),
            raw[raw["target"].isin(leaders)].assign(leader=raw["target"], other=raw["source"]),
        ],
        ignore_index=True,
    )
    between = raw[raw["source"].isin(leaders) & raw["target"].isin(leaders)]
    related = seen[~seen["other"].isin(leaders)].copy()
    related["score"] = related["other"].map(score).fillna(0.0)
    related["leader_score"] = related["leader"].map(score).fillna(0.0)
    # Drawn once, around the influencer with the heaviest relationship (then the strongest).
    home = related.sort_values(
        ["other", "weight", "leader_score"], ascending=[True, False, False], kind="stable"
    ).drop_duplicates("other")
    home = home.sort_values(["leader", "score"], ascending=[True, False], kind="stable")
    home = home[home.groupby("leader").cumcount() < per_influencer]
    drawn = set(home["other"])
    hidden = related[~related["other"].isin(drawn)].groupby("leader")["other"].nunique().to_dict()
    people_total = related["other"].nunique()

    kept_ids = [*top_ids, *home["other"].tolist()]
    people = _people(store, kept_ids, computed).reindex(kept_ids)
    community = people["community"].astype(object).where(people["community"].notna(), None)
    group_of = dict(zip(kept_ids, community.tolist(), strict=True))
    communities = Counter(community.tolist())
    coloured = [
        c
        for c, _ in sorted(communities.items(), key=lambda kv: (-kv[1], _order(kv[0])))
        if c is not None
    ][: len(PALETTE)]
    colour = {c: PALETTE[i] for i, c in enumerate(coloured)}
    highest = max((score.get(c, 0.0) for c in kept_ids), default=0.0)
    at = _positions(top_ids, home, group_of, hidden)

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
                "label": f"#{rank} {name}" if is_top and rank else name,
                "heading": name,
                # Written out rather than with lines(): one f-string per node.
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
                "x": at[c][0],
                "y": at[c][1],
                "font": {"size": 24} if is_top else {"size": 14},
                "priority": 1000 - (rank or 999) if is_top else score.get(c, 0.0) / (highest or 1),
            }
        )
    names = dict(zip(kept_ids, (n["heading"] for n in nodes), strict=True))
    for leader in top_ids:
        if hidden.get(leader):
            node = more(
                f"m:{leader}",
                hidden[leader],
                f"people related to {names[leader]}",
                f"the customer view: graph360 view customer {leader}",
                color=colour.get(group_of[leader], GREY),
            )
            node["x"], node["y"] = at[f"m:{leader}"]
            node["font"] = {"size": 18, "color": "#57606a"}
            nodes.append(node)
    links = pd.concat([home, between.assign(leader=between["source"])], ignore_index=True)
    edges = [
        {
            "from": s,
            "to": t,
            "title": f"{k} relationship\nWeight: {w:,.2f}",
            "color": KIND_COLOUR.get(k, "#7f7f7f"),
            "width": round(0.5 + min(w, 4.0), 2),
            "arrows": "to" if k in DIRECTED else "",
        }
        for s, t, k, w in zip(
            links["source"], links["target"], links["kind"], links["weight"], strict=True
        )
    ]
    edges += [
        {"from": leader, "to": f"m:{leader}", "color": GREY, "dashes": True, "width": 1}
        for leader in top_ids
        if hidden.get(leader)
    ]

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
        LegendItem(
            "+N more: the other people related to an influencer",
            GREY,
            "ring",
            note="open the influencer's customer view for them",
        ),
        *(
            LegendItem(
                f"Relationship: {kind}",
                colour_,
                "line",
                note="arrow points to who holds the influence" if kind in DIRECTED else "both ways",
            )
            for kind, colour_ in KIND_COLOUR.items()
        ),
        LegendItem("Position: each influencer with its people, by community", GREY, "box"),
    ]
    facts = [
        ("Top influencers", text(len(top_ids))),
        ("People shown", f"{len(drawn):,} of the {people_total:,} related to them"),
        ("Per influencer", f"at most {per_influencer} (the most influential)"),
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
            f"The {len(top_ids)} most influential customers (weighted PageRank), each with the "
            f"{per_influencer} most influential people related to them; size by PageRank, colour "
            "by community."
        ),
        as_of=now,
        nodes=nodes,
        edges=edges,
        legend=legend,
        graphql=GRAPHQL,
        variables={"first": first},
        facts=facts,
        notes=notes,
        # Shared by every edge (smaller pages than per-item settings).
        options={"edges": {"color": {"opacity": 0.7}}},
    )


def _positions(
    top_ids: list[str], home: pd.DataFrame, group_of: dict[str, Any], hidden: dict[str, int]
) -> dict[str, tuple[float, float]]:
    """The influencers on a grid (community by community, most influential first), each
    with its people and its "+N more" node on a ring around it."""
    order = sorted(range(len(top_ids)), key=lambda i: (_order(group_of[top_ids[i]]), i))
    columns = max(1, math.ceil(math.sqrt(len(top_ids) * 1.4)))
    around = home.groupby("leader", sort=False)["other"].apply(list).to_dict()
    at: dict[str, tuple[float, float]] = {}
    for cell, i in enumerate(order):
        leader = top_ids[i]
        cx, cy = (cell % columns) * CELL, (cell // columns) * CELL * 0.85
        at[leader] = (cx, cy)
        ring_ids = [*around.get(leader, []), *([f"m:{leader}"] if hidden.get(leader) else [])]
        for key, (x, y, _) in zip(ring_ids, ring(len(ring_ids), RADIUS), strict=True):
            at[key] = (round(cx + x, 1), round(cy + y, 1))
    return at


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
