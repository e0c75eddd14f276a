"""The customer view: one customer's neighbourhood to two hops, the customer in the centre.

Built from the 360 card (:func:`graph360.analytics.card.customer_card`) — the same
relationships (heaviest first), accounts, campaigns, recent touchpoints and flags an agent
sees — plus, for the second hop, each related person's most influential relations and how many
they have (``customer_related_top``, ``customer_related_count``, ``customer_related_among``:
bounded reads, whatever a hub's fan-out) and the department running each campaign
(``customer_campaign_departments``). Nothing is recomputed here: influence and value are the
stored scores the card reads.

Hop one: related people, accounts held, campaigns that targeted the customer, one node per
channel of the recent touchpoints, flags. Hop two: the people those people are related to,
the departments managing the accounts and running the campaigns, the touchpoints under each
channel.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from graph360.analytics.card import customer_card
from graph360.display import money, share
from graph360.periods import utc_now
from graph360.privacy import Audience
from graph360.store.base import GraphStore
from graph360.views.customer_nodes import (
    ACCOUNT,
    CAMPAIGN,
    CENTRE,
    CHANNEL,
    DEPARTMENT,
    LEGEND,
    PERSON,
    PERSON_2,
    PRIORITY,
    SEVERITY,
    TOUCHPOINT,
    add_department,
    add_edge,
    add_person,
    add_relationship,
    node_id,
    rating_text,
    score_text,
)
from graph360.views.render import Graph, lines, more, radial_layout, scale, text

#: The GraphQL query that gives this view's data (the API's ``customer`` root field).
GRAPHQL = """\
query CustomerView($ref: String!, $relationships: Int, $touchpoints: Int) {
  customer(ref: $ref) {
    id
    name
    segment
    lifecycleStage
    value { current potential atRisk computedAt }
    influence { score rank reach community computedAt }
    relationships(first: $relationships) {
      totalCount
      edges {
        node {
          direction kind weight since
          customer {
            id name influence { score }
            relationships {
              edges { node { direction kind weight customer { id name influence { score } } } }
            }
          }
        }
      }
    }
    accounts { id name kind plan status value role department { id name } }
    campaigns { id name channel addedAt department }
    touchpoints(first: $touchpoints) {
      totalCount
      edges { node { id at channel kind campaign step department outcome value text } }
    }
    flags { id kind severity status reason raisedAt }
  }
}
"""
#: Second-hop people drawn per related person (the most influential); the rest are one
#: "+N more" node, so a hub with hundreds of relationships cannot swamp the customer.
PER_HUB = 3


def build(
    store: GraphStore,
    ref: str,
    *,
    audience: Audience,
    relationships: int = 12,
    touchpoints: int = 20,
    now: dt.datetime | None = None,
) -> Graph:
    """The view's graph for the customer ``ref`` (an id, ``source:source_id`` or an e-mail).

    ``relationships``: the card's heaviest relationships (hop one, the rest one "+N more"
    node); ``touchpoints``: the most recent touchpoints; per related person at most
    :data:`PER_HUB` of their own relations (the most influential), the rest one "+N more"
    node. Laid out here: the customer in the centre, what is theirs on a ring around them,
    what hangs off each of those just outside it, in its own sector. Everything shown comes
    from the card as ``audience`` may see it.
    """
    now = now or utc_now()
    card = customer_card(
        store,
        ref,
        relationships=relationships,
        touchpoints=touchpoints,
        offers=0,
        now=now,
        audience=audience,
    )
    cid = card["customer_id"]
    identity, influence, value = card["identity"], card["influence"], card["value"]
    name = identity["name"] or cid
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}

    nodes[node_id(cid)] = {
        "id": node_id(cid),
        "label": name,
        "heading": name,
        "title": lines(
            name,
            ("Customer id", cid),
            ("Segment", identity["segment"]),
            ("Lifecycle", identity["lifecycle_stage"]),
            ("Current value a year", money(value["current"])),
            ("Potential value a year", money(value["potential"])),
            ("Chance of drifting away", share(value["at_risk"])),
            ("PageRank", score_text(influence["pagerank"])),
            ("Influence rank", influence["influence_rank"]),
            ("Reach (2 hops)", influence["reach"]),
            ("Community", influence["community"]),
            ("Relationships", card["relationships_total"]),
            ("Touchpoints", card["activity"]["touchpoints"]),
        ),
        "color": CENTRE,
        "size": 40,
        "borderWidth": 3,
        "font": {"size": 26, "background": "#ffffff"},
        "priority": PRIORITY["centre"],
    }
    parent: dict[str, str] = {}  # an outer node -> the ring node it hangs off

    # Hop one and two: people; per related person, at most PER_HUB of theirs.
    first = card["relationships"]
    for row in first:
        add_person(nodes, row, hop=1)
        add_relationship(edges, cid, row)
    if card["relationships_total"] > len(first):
        hidden = card["relationships_total"] - len(first)
        nodes["m:c"] = more(
            "m:c",
            hidden,
            f"relationships of {name} (the {len(first)} heaviest are drawn)",
            f"the 360 card: graph360 customer {cid}",
            color=PERSON,
        )
        add_edge(edges, node_id(cid), "m:c", "more", color="#c7c7c7", dashes=True)
    for row in first:
        # Bounded reads: a hub's lines to people already drawn, its PER_HUB best others and
        # how many it has, never its whole list (a hub can have hundreds of thousands).
        hub, hub_id = node_id(row["customer_id"]), row["customer_id"]
        drawn = [key[2:] for key in nodes if key.startswith("c:")]
        for other in store.query("customer_related_among", customer_id=hub_id, ids=drawn):
            if other["customer_id"] != cid:  # the relationship with the centre is drawn
                add_relationship(edges, hub_id, other)
        best = store.query("customer_related_top", customer_id=hub_id, exclude=drawn, limit=PER_HUB)
        ranked = sorted(best, key=lambda o: (-(o["pagerank"] or 0.0), o["customer_id"]))
        shown = list(dict.fromkeys(o["customer_id"] for o in ranked))[:PER_HUB]
        for other in ranked:
            if other["customer_id"] in shown:
                add_person(nodes, other, hop=2)
                add_relationship(edges, hub_id, other)
                parent[node_id(other["customer_id"])] = hub
        (count,) = store.query("customer_related_count", customer_id=hub_id, exclude=drawn)
        if count["people"] > len(shown):
            who = row["name"] or hub_id
            key = f"m:{hub_id}"
            nodes[key] = more(
                key,
                count["people"] - len(shown),
                f"people related to {who}",
                f"their own view: graph360 view customer {hub_id}",
                color=PERSON_2,
            )
            parent[key] = hub
            add_edge(edges, hub, key, "more", color="#c7c7c7", dashes=True)

    # Accounts and the departments managing them.
    for account in card["accounts"]:
        aid = f"a:{account['account_id']}"
        nodes[aid] = {
            "id": aid,
            "label": account["name"] or account["account_id"],
            "title": lines(
                f"Account {account['name'] or account['account_id']}",
                ("Account id", account["account_id"]),
                ("Kind", account["kind"]),
                ("Plan", account["plan"]),
                ("Status", account["status"]),
                ("Value", account["value"]),
                ("Opened", account["opened_at"]),
                ("Role", account["role"]),
                ("Managed by", account["department"]),
            ),
            "color": ACCOUNT,
            "shape": "square",
            "_value": account["value"] or 0.0,
            "priority": PRIORITY["ring"],
        }
        add_edge(edges, node_id(cid), aid, "holds", label=account["role"] or "holds", color=ACCOUNT)
        if account["department_id"]:
            add_department(nodes, account["department_id"], account["department"])
            parent.setdefault(f"d:{account['department_id']}", aid)
            add_edge(edges, aid, f"d:{account['department_id']}", "managed", color=DEPARTMENT)
    top_value = max((n["_value"] for n in nodes.values() if "_value" in n), default=0.0)
    for node in nodes.values():
        if "_value" in node:
            node["size"] = scale(node["_value"], top_value, low=10, high=28)

    # Campaigns that targeted the customer, and who runs them.
    running = {}
    for row in store.query("customer_campaign_departments", customer_id=cid):
        running.setdefault(row["campaign_id"], []).append(row)
    for campaign in card["campaigns"]:
        kid = f"k:{campaign['campaign_id']}"
        nodes[kid] = {
            "id": kid,
            "label": campaign["name"] or campaign["campaign_id"],
            "title": lines(
                f"Campaign {campaign['name'] or campaign['campaign_id']}",
                ("Campaign id", campaign["campaign_id"]),
                ("Channel", campaign["channel"]),
                ("Targeted on", campaign["added_at"]),
                ("Run by", campaign["department"]),
            ),
            "color": CAMPAIGN,
            "shape": "diamond",
            "size": 14,
            "priority": PRIORITY["ring"],
        }
        add_edge(edges, kid, node_id(cid), "targets", label="targeted", color=CAMPAIGN, dashes=True)
        for dept in running.get(campaign["campaign_id"], []):
            add_department(nodes, dept["department_id"], dept["department"])
            parent.setdefault(f"d:{dept['department_id']}", kid)
            add_edge(edges, kid, f"d:{dept['department_id']}", "run by", color=DEPARTMENT)

    # Recent touchpoints, grouped by channel.
    recent = card["recent_touchpoints"]
    per_channel = Counter(t["channel"] or "(no channel)" for t in recent)
    top_channel = max(per_channel.values(), default=0)
    for channel, count in per_channel.items():
        chid = f"ch:{channel}"
        shown = [t for t in recent if (t["channel"] or "(no channel)") == channel]
        nodes[chid] = {
            "id": chid,
            "label": f"{channel} ({count})",
            "heading": f"{channel}: {count} recent touchpoints",
            "title": lines(
                f"{channel}: {count} of the {len(recent)} most recent touchpoints",
                *(f"{text(t['at'])} · {t['kind']}" for t in shown[:10]),
                f"… and {count - 10} more" if count > 10 else None,
            ),
            "color": CHANNEL,
            "shape": "hexagon",
            "size": scale(count, top_channel, low=14, high=28),
            "priority": PRIORITY["ring"],
        }
        add_edge(edges, node_id(cid), chid, "channel", color=CHANNEL)
    for number, t in enumerate(recent):
        tid = f"t:{number}"  # an id as shown may be masked: two could look alike
        channel = t["channel"] or "(no channel)"
        nodes[tid] = {
            "id": tid,
            "label": f"{t['kind']} {t['at']:%Y-%m-%d}" if t["at"] else str(t["kind"]),
            "title": lines(
                f"Touchpoint {t['kind']} on {channel}",
                ("When", t["at"]),
                ("Id", t["touchpoint_id"]),
                ("Campaign", t["campaign"]),
                ("Journey step", t["step"]),
                ("Handled by", t["department"]),
                ("Outcome", t["outcome"]),
                ("Resolution", t["resolution"]),
                ("Value", t["value"]),
                ("Rating", rating_text(t)),
                ("Text", t["text"]),
            ),
            "color": TOUCHPOINT,
            "size": 7,
            "font": {"size": 13, "color": "#57606a"},
            "priority": 0,
        }
        parent[tid] = f"ch:{channel}"
        add_edge(edges, f"ch:{channel}", tid, "touchpoint", color=TOUCHPOINT)

    # Flags.
    for flag in card["flags"]:
        fid = f"f:{flag['flag_id']}"
        colour = SEVERITY.get(flag["severity"], "#7f7f7f")
        nodes[fid] = {
            "id": fid,
            "label": f"{flag['kind']} ({flag['severity']})",
            "title": lines(
                f"Flag {flag['kind']}",
                ("Severity", flag["severity"]),
                ("Status", flag["status"]),
                ("Reason", flag["reason"]),
                ("Raised", flag["raised_at"]),
            ),
            "color": colour,
            "shape": "triangle",
            "size": 16 if flag["status"] == "open" else 10,
            "opacity": 1.0 if flag["status"] == "open" else 0.5,
            "priority": PRIORITY["ring"],
        }
        add_edge(edges, node_id(cid), fid, "flag", color=colour)

    # People sized by their stored PageRank, relative to the most influential shown.
    people = [n for n in nodes.values() if "_pagerank" in n]
    top_rank = max((n["_pagerank"] or 0.0 for n in people), default=0.0)
    for node in people:
        node["size"] = scale(node["_pagerank"] or 0.0, top_rank, low=8, high=30)
        base = PRIORITY["person"] if node["_hop"] == 1 else PRIORITY["hop2"]
        node["priority"] = base + (node["_pagerank"] or 0.0) / (top_rank or 1.0)
    # Laid out: people first (most influential first), then accounts, campaigns, channels,
    # flags on the ring; what hangs off each in its sector.
    kinds = {"c": 0, "m": 1, "a": 2, "k": 3, "ch": 4, "f": 5}
    radial_layout(
        nodes,
        parent,
        order=lambda k: (kinds.get(k.split(":")[0], 6), -nodes[k].get("priority", 0)),
    )

    notes = []
    if influence["pagerank"] is None:
        notes.append(
            "Influence has not been computed: people are all drawn the same size "
            "(run `graph360 influence`)."
        )
    if card["relationships_total"] > len(first):
        notes.append(
            f"{card['relationships_total']:,} relationships: the {len(first)} heaviest are shown, "
            f"each with at most {PER_HUB} of their own (the most influential)."
        )
    facts = [
        ("Customer", name),
        ("Customer id", cid),
        ("Segment", identity["segment"] or "—"),
        ("Current value a year", money(value["current"])),
        (
            "Influence rank",
            text(influence["influence_rank"]) if influence["influence_rank"] else "—",
        ),
        ("Relationships", text(card["relationships_total"])),
        ("Accounts", text(len(card["accounts"]))),
        ("Campaigns", text(len(card["campaigns"]))),
        ("Touchpoints", f"{len(recent)} most recent of {card['activity']['touchpoints']:,}"),
        ("Open flags", text(sum(f["status"] == "open" for f in card["flags"]))),
        ("Scores computed", text(influence["computed_at"]) if influence["computed_at"] else "—"),
    ]
    return Graph(
        view="customer",
        title=f"Customer {name}",
        subtitle=(
            "The customer's neighbourhood to two hops: relationships, accounts and the "
            "departments managing them, campaigns, recent touchpoints by channel, flags."
        ),
        as_of=now,
        nodes=list(nodes.values()),
        edges=list(edges.values()),
        legend=LEGEND,
        graphql=GRAPHQL,
        variables={"ref": ref, "relationships": relationships, "touchpoints": touchpoints},
        facts=facts,
        notes=notes,
        options={"nodes": {"font": {"size": 18}}},
    )


def render(store: GraphStore, ref: str, **params: Any) -> str:
    """The complete HTML page of the customer ``ref``'s view."""
    from graph360.views.render import to_html

    return to_html(build(store, ref, **params))
