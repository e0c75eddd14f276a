"""The shared renderer: one self-contained HTML page per graph view.

A view module turns analytics results into a :class:`Graph` (plain vis-network node and edge
dicts, a legend, notes, the GraphQL query that gives the same data); :func:`to_html` writes
the page. Why the page is built here and not by pyvis's ``Network`` (see docs/DECISIONS.md,
"Views"): pyvis's ``add_node`` and ``add_edge`` check every existing node / edge for
duplicates (quadratic: 20k edges took 10 s) and its template links Bootstrap from a CDN in
every mode. pyvis is used for what it does well — it ships a pinned vis-network build — and
this module inlines that build's JS and CSS into its own small template, so a page opened with
no network draws completely.

Safety: every text that comes from data reaches the browser as *text*. Page text goes through
Jinja2 with autoescape; node and edge data travel as JSON in a ``type="application/json"``
script with ``<``, ``>`` and ``&`` escaped (so ``</script>`` in a name cannot close it); labels
are drawn on a canvas; tooltips are plain strings, which vis-network puts in ``innerText``; the
details panel is filled with ``textContent``. A Content-Security-Policy allows only the page's
own scripts (by hash) and no fetch of any kind, so even a mistake here could not load or run
anything else.

Readable at any size: each view summarises (the most important nodes, the rest as one
"+212 more" node, :func:`more`) and lays itself out here (:func:`ring`), so the page draws its
first frame at once with physics off; a node's or edge's ``priority`` says whose label wins
where two would overlap (the page leaves the other out: assets/view.js).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from graph360.display import jsonable, text

__all__ = [
    "FONT",
    "GREY",
    "PALETTE",
    "Graph",
    "LegendItem",
    "lines",
    "more",
    "radial_layout",
    "ring",
    "scale",
    "to_html",
    "wrap",
]

#: The vis-network build pyvis ships (pyvis is pinned, so this is too).
VIS_VERSION = "9.1.2"
#: Local fonts only: nothing is fetched.
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
#: Tableau 10: distinct, colour-blind-aware categorical colours.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
GREY = "#c7c7c7"


@dataclass(frozen=True)
class LegendItem:
    """One legend line: a swatch (``kind``: dot, box, line, dashed, size) and what it means."""

    label: str
    color: str | None = None
    kind: str = "dot"
    note: str = ""


@dataclass
class Graph:
    """Everything one view page shows.

    ``nodes`` and ``edges`` are vis-network dicts (``id``/``label``/``title``/``color``/
    ``size``…, ``from``/``to``/``width``…); ``title`` on them is the plain-text tooltip, one
    fact per line. ``facts`` is the page's summary (label, value); ``notes`` are warnings shown
    under the title (a cap, missing data). ``variables`` are the GraphQL variables that give
    this page's data with ``graphql``.
    """

    view: str
    title: str
    subtitle: str
    as_of: dt.datetime
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    legend: list[LegendItem]
    graphql: str
    variables: dict[str, Any] = field(default_factory=dict)
    facts: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def node(self, node_id: str) -> dict[str, Any]:
        """The node with this id (tests and callers that inspect a built view)."""
        for node in self.nodes:
            if node["id"] == node_id:
                return node
        raise KeyError(node_id)


# --- helpers the views share -------------------------------------------------------------------


def lines(*facts: tuple[str, Any] | str | None) -> str:
    """A plain-text tooltip: ``label: value`` per line; a bare string is a line of its own;
    None and empty values are left out."""
    out = []
    for fact in facts:
        if fact is None:
            continue
        if isinstance(fact, str):
            out.append(fact)
            continue
        label, value = fact
        if value is None or value == "" or value == []:
            continue
        out.append(f"{label}: {text(value)}")
    return "\n".join(out)


def scale(value: float, top: float, *, low: float = 10, high: float = 50) -> float:
    """A node size for ``value`` out of ``top``: by area (square root), between low and high."""
    if not top or value is None or value <= 0:
        return low
    return round(low + (high - low) * math.sqrt(min(value / top, 1.0)), 2)


def ring(
    count: int, radius: float, *, centre: float = -math.pi / 2, span: float = 2 * math.pi
) -> list[tuple[float, float, float]]:
    """``count`` points spread evenly over an arc of ``span`` radians around the angle
    ``centre``, at ``radius`` from the origin: (x, y, angle) each. A full circle leaves no
    point on top of the first."""
    if count <= 0:
        return []
    full = span >= 2 * math.pi - 1e-9
    step = span / count if full else span / max(count - 1, 1)
    first = centre - (0 if full else span / 2) if count > 1 else centre
    out = []
    for i in range(count):
        angle = first + i * step
        out.append((round(radius * math.cos(angle), 1), round(radius * math.sin(angle), 1), angle))
    return out


#: Canvas units: the ring's radius grows with what is on it; what hangs off it sits this far out.
RING_STEP, OUTER, SPACING = 100.0, 200.0, 46.0


def radial_layout(
    nodes: dict[str, dict[str, Any]],
    parent: dict[str, str],
    *,
    order: Callable[[str], Any],
) -> None:
    """Positions (``x``, ``y``) for every node: the first at the centre, the nodes without a
    parent on a ring around it (sorted by ``order``), and each node with a parent in its
    parent's sector just outside the ring, alternating between two radii when a sector is
    crowded. A ring of N items has room for their labels as N grows."""
    centre = next(iter(nodes))
    nodes[centre]["x"], nodes[centre]["y"] = 0, 0
    children: dict[str, list[str]] = {}
    for key in nodes:
        if key in parent:
            children.setdefault(parent[key], []).append(key)
    inner = sorted((k for k in nodes if k != centre and k not in parent), key=order)
    radius = max(260.0, len(inner) * RING_STEP / (2 * math.pi))
    share = 2 * math.pi / max(len(inner), 1)
    for key, (x, y, angle) in zip(inner, ring(len(inner), radius), strict=True):
        nodes[key]["x"], nodes[key]["y"] = x, y
        hanging = children.get(key, [])
        far = radius + OUTER
        span = min(share * 0.9, len(hanging) * SPACING / far)
        crowded = len(hanging) * SPACING > share * far
        for i, (cx, cy, _) in enumerate(ring(len(hanging), far, centre=angle, span=span)):
            stagger = 1.3 if crowded and i % 2 else 1.0
            nodes[hanging[i]]["x"], nodes[hanging[i]]["y"] = (
                round(cx * stagger, 1),
                round(cy * stagger, 1),
            )


#: A character's width as a share of the font size: generous for a sans-serif's digits and
#: capitals, so a gap computed from it is wide enough.
CHAR_WIDTH = 0.62


def label_width(label: str, font_size: float) -> float:
    """The width a label takes when drawn (its longest line), in canvas units: what a layout
    leaves between neighbours, so "1,234,567 touchpoints" has room where "48" did."""
    return max((len(line) for line in label.split("\n")), default=0) * font_size * CHAR_WIDTH


def wrap(label: str, width: int = 18) -> str:
    """A long name on several short lines (a wide label would cover its neighbours')."""
    return "\n".join(textwrap.wrap(label, width, break_long_words=False)) or label


def more(node_id: str, hidden: int, what: str, where: str, *, color: str = GREY) -> dict[str, Any]:
    """The node that stands for what a view leaves out: "+212 more" and where to see them."""
    return {
        "id": node_id,
        "label": f"+{hidden:,} more",
        "heading": f"{hidden:,} more {what}",
        "title": f"{hidden:,} more {what}, not drawn so the page stays readable.\nOpen in {where}",
        "color": {"background": "#ffffff", "border": color},
        "shape": "dot",
        "size": 9,
        "borderWidth": 2,
        "shapeProperties": {"borderDashes": [3, 3]},
        "font": {"size": 15, "color": "#57606a"},
        "priority": 30,
    }


# --- the page ----------------------------------------------------------------------------------


def options(graph: Graph) -> dict[str, Any]:
    """vis-network options: the shared defaults, then the view's own. Every view comes laid
    out (x, y on its nodes), so physics is off and the first frame is the picture; edges are
    straight (a click is matched to the line drawn); labels stay horizontal on a white ground
    (no line strikes through them; a box node's label, inside it, has none); a label smaller
    than 6 px on screen is not drawn (zoom in for it)."""
    threshold = {"label": {"drawThreshold": 7}}
    base: dict[str, Any] = {
        "autoResize": True,
        "nodes": {
            "shape": "dot",
            "borderWidth": 1,
            # A white ground: an edge passing behind a label does not strike it through.
            "font": {
                "face": FONT,
                "size": 14,
                "color": "#222222",
                "background": "rgba(255,255,255,0.8)",
            },
            "scaling": threshold,
        },
        "edges": {
            "font": {
                "face": FONT,
                "size": 12,
                "align": "horizontal",
                "color": "#333333",
                "background": "rgba(255,255,255,0.9)",
                "strokeWidth": 0,
            },
            "smooth": False,
            "color": {"inherit": False},
            "scaling": threshold,
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": len(graph.edges) > 1000,
            "multiselect": False,
        },
        "layout": {"improvedLayout": False},
        "physics": {"enabled": False},
    }
    return _merge(base, graph.options)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>``, ``&`` or line separators
    appear literally, so no value can end the element or open a comment."""
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=jsonable)
    return (
        encoded.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _public(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The dicts without their private (``_``-prefixed) keys."""
    return [{k: v for k, v in item.items() if not k.startswith("_")} for item in items]


def to_html(graph: Graph) -> str:
    """The complete, self-contained page for ``graph``."""
    assets = _assets()
    payload = {
        "view": graph.view,
        "nodes": _public(graph.nodes),
        "edges": _public(graph.edges),
        "options": options(graph),
    }
    return (
        _environment()
        .get_template("view.html")
        .render(
            graph=graph,
            as_of=_as_of(graph.as_of),
            data_json=script_json(payload),
            variables_json=json.dumps(graph.variables, indent=2, default=jsonable),
            csp=_csp(assets),
            vis_js=assets["vis_js"],
            vis_css=assets["vis_css"],
            view_js=assets["view_js"],
            page_css=assets["page_css"],
        )
    )


def index_html(entries: list[dict[str, str]], as_of: dt.datetime) -> str:
    """The index page: one entry (``title``, ``href``, ``description``, ``name``) per view."""
    assets = _assets()
    return (
        _environment()
        .get_template("index.html")
        .render(
            entries=entries,
            as_of=_as_of(as_of),
            csp=_csp(assets, scripts=False),
            page_css=assets["page_css"],
        )
    )


def _as_of(moment: dt.datetime) -> dict[str, str]:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return {
        "iso": moment.isoformat(timespec="seconds") + "Z",
        "text": f"{moment:%Y-%m-%d %H:%M} UTC",
    }


def _csp(assets: dict[str, str], *, scripts: bool = True) -> str:
    """Only this page's own scripts run (by hash); nothing is fetched or connected to."""
    hashes = " ".join(f"'{assets[h]}'" for h in ("vis_js_hash", "view_js_hash")) if scripts else ""
    return (
        "default-src 'none'; "
        f"script-src {hashes or chr(39) + 'none' + chr(39)}; "
        "style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("graph360.views", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _sha256(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


@cache
def _assets() -> dict[str, str]:
    """vis-network's JS and CSS from the pyvis package, and this package's own script and
    style, read once per process with the hashes the CSP allows."""
    vis = resources.files("pyvis") / "templates" / "lib" / f"vis-{VIS_VERSION}"
    own = resources.files("graph360.views") / "assets"
    vis_js = (vis / "vis-network.min.js").read_text(encoding="utf-8")
    view_js = (own / "view.js").read_text(encoding="utf-8")
    for name, script in (("vis-network", vis_js), ("view.js", view_js)):
        if "</script" in script.lower():  # would end the inline element early
            raise RuntimeError(f"{name} cannot be inlined: it contains '</script'")
    return {
        "vis_js": vis_js,
        "vis_css": (vis / "vis-network.css").read_text(encoding="utf-8"),
        "view_js": view_js,
        "page_css": (own / "view.css").read_text(encoding="utf-8"),
        "vis_js_hash": _sha256(vis_js),
        "view_js_hash": _sha256(view_js),
    }
