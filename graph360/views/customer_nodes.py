"""The customer view's nodes and edges: their colours, shapes, tooltips and legend."""

from __future__ import annotations

from typing import Any

from graph360.views.render import LegendItem, lines

CENTRE = "#b07aa1"
PERSON = "#4e79a7"
PERSON_2 = "#a0cbe8"
ACCOUNT = "#59a14f"
DEPARTMENT = "#9c755f"
CAMPAIGN = "#f28e2b"
CHANNEL = "#76b7b2"
TOUCHPOINT = "#bab0ac"
SEVERITY = {"red": "#d62728", "amber": "#ffb000", "green": "#2ca02c"}
KIND_COLOUR = {
    "referred": "#e15759",
    "follows": "#4e79a7",
    "knows": "#7f7f7f",
    "household": "#59a14f",
    "colleague": "#edc948",
}
#: Kinds whose stored direction is the direction of influence (arrows); the rest go both ways.
DIRECTED = frozenset({"referred", "follows"})
#: Label priorities: where two labels would overlap, the higher one is drawn.
PRIORITY = {"centre": 1000, "ring": 60, "person": 50, "department": 45, "more": 30, "hop2": 10}
LEGEND = [
    LegendItem("The customer", CENTRE, note="in the centre"),
    LegendItem("Related person", PERSON, note="size: PageRank (stored influence score)"),
    LegendItem("Person two hops away", PERSON_2, note="size: PageRank"),
    LegendItem("Account held", ACCOUNT, "box", note="size: account value"),
    LegendItem("Department", DEPARTMENT, "box", note="managing an account or running a campaign"),
    LegendItem("Campaign that targeted the customer", CAMPAIGN, "diamond"),
    LegendItem("Channel of recent touchpoints", CHANNEL, "hexagon", note="size: touchpoints on it"),
    LegendItem("Touchpoint", TOUCHPOINT),
    *(
        LegendItem(f"Flag: {s}", c, "triangle", note="small and faded when closed")
        for s, c in SEVERITY.items()
    ),
    *(
        LegendItem(
            f"Relationship: {kind}",
            colour,
            "line",
            note="arrow points to who holds the influence"
            if kind in DIRECTED
            else "both ways; width: weight",
        )
        for kind, colour in KIND_COLOUR.items()
    ),
]


def node_id(customer_id: str) -> str:
    """A customer's node id in the view."""
    return f"c:{customer_id}"


def score_text(value: float | None) -> str | None:
    """A stored score as a tooltip shows it (None: no score)."""
    return None if value is None else f"{value:.6f}"


def rating_text(t: dict[str, Any]) -> str | None:
    """A touchpoint's rating with its scale, when it has one."""
    if t.get("rating") is None:
        return None
    scale_ = t.get("rating_scale")
    return f"{t['rating']:g} of {scale_}" if scale_ else f"{t['rating']:g}"


def add_person(nodes: dict[str, dict[str, Any]], row: dict[str, Any], *, hop: int) -> None:
    """A related person's node, one or two hops out (once, whoever reaches it first)."""
    key = node_id(row["customer_id"])
    if key in nodes:
        return
    name = row["name"] or row["customer_id"]
    nodes[key] = {
        "id": key,
        "label": name,
        "title": lines(
            name,
            ("Customer id", row["customer_id"]),
            ("PageRank", score_text(row.get("pagerank"))),
            "Related to the customer" if hop == 1 else "Two hops from the customer",
        ),
        "color": PERSON if hop == 1 else PERSON_2,
        "font": {"size": 20 if hop == 1 else 15},
        "_pagerank": row.get("pagerank"),
        "_hop": hop,
    }


def add_relationship(
    edges: dict[tuple[str, str, str], dict[str, Any]], customer_id: str, row: dict[str, Any]
) -> None:
    """The RELATED relationship ``row`` (as customer_relationships gives it, seen from
    ``customer_id``) as an edge in its stored direction."""
    ends = (customer_id, row["customer_id"])
    source, target = ends if row["direction"] == "out" else ends[::-1]
    kind = row["kind"]
    weight = row["weight"] if row["weight"] is not None else 1.0
    key = (node_id(source), node_id(target), f"rel:{kind}")
    if key in edges:
        return
    edges[key] = {
        "from": node_id(source),
        "to": node_id(target),
        "heading": f"{kind} relationship",
        "title": lines(
            f"{kind} relationship",
            ("Weight", weight),
            ("Since", row.get("since")),
            "Influence flows along the arrow" if kind in DIRECTED else "Counts both ways",
        ),
        "color": KIND_COLOUR.get(kind, "#7f7f7f"),
        "width": round(1 + 2 * min(weight, 4.0), 2),
        "arrows": "to" if kind in DIRECTED else "",
    }


def add_department(nodes: dict[str, dict[str, Any]], department_id: str, name: str | None) -> None:
    """A department's node (once, whatever account or campaign reaches it)."""
    key = f"d:{department_id}"
    if key not in nodes:
        nodes[key] = {
            "id": key,
            "label": name or department_id,
            "title": lines(f"Department {name or department_id}", ("Id", department_id)),
            "color": DEPARTMENT,
            "shape": "box",
            "font": {"color": "#ffffff", "size": 18, "background": "none"},
            "priority": PRIORITY["department"],
        }


def add_edge(
    edges: dict[tuple[str, str, str], dict[str, Any]],
    source: str,
    target: str,
    kind: str,
    *,
    label: str | None = None,
    color: str = "#999999",
    dashes: bool = False,
) -> None:
    """An edge between two nodes of the view (once per source, target and kind)."""
    edges.setdefault(
        (source, target, kind),
        {
            "from": source,
            "to": target,
            "label": label or "",
            "title": label or kind,
            "color": color,
            "width": 1.5,
            "dashes": dashes,
        },
    )
