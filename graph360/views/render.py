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

Big graphs: everything here is one pass over the nodes and edges; :func:`cap` keeps the most
important nodes and the strongest edges above a threshold and says so on the page; the page
switches physics off once the layout has stabilised.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from graph360.display import jsonable, text

__all__ = [
    "BIG",
    "FONT",
    "GREY",
    "PALETTE",
    "Cap",
    "Graph",
    "LegendItem",
    "cap",
    "cluster_layout",
    "lines",
    "scale",
    "to_html",
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
#: Above this many nodes the layout is coarser and faster (no improved layout, straight edges,
#: fewer stabilisation iterations, edges hidden while dragging).
BIG = 300


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
    physics: bool = True
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


@dataclass(frozen=True)
class Cap:
    """What a capped view kept: shown of total nodes and edges."""

    nodes_total: int
    nodes_shown: int
    edges_total: int
    edges_shown: int

    @property
    def capped(self) -> bool:
        return self.nodes_shown < self.nodes_total or self.edges_shown < self.edges_total

    def note(self, nodes: str = "nodes", edges: str = "edges") -> str | None:
        """The sentence a capped page shows, None when everything is shown."""
        if not self.capped:
            return None
        return (
            f"Capped for a readable page: showing {self.nodes_shown:,} of {self.nodes_total:,} "
            f"{nodes} (most important first) and {self.edges_shown:,} of "
            f"{self.edges_total:,} {edges} (strongest first)."
        )


def cap(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    *,
    max_nodes: int,
    max_edges: int,
    keep: Iterable[str] = (),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Cap]:
    """Keep at most ``max_nodes`` nodes and ``max_edges`` edges.

    Nodes in ``keep`` always stay; the others are taken by their ``_rank`` (higher first, ties
    in the given order). Edges are kept only between kept nodes, the ``_weight``-iest first.
    One sort of each list: O(n log n), no pairwise checks.
    """
    total_nodes, total_edges = len(nodes), len(edges)
    if total_nodes > max_nodes:
        pinned = set(keep)
        first = [n for n in nodes if n["id"] in pinned]
        rest = [n for n in nodes if n["id"] not in pinned]
        rest.sort(key=lambda n: -(n.get("_rank") or 0.0))
        nodes = first + rest[: max(0, max_nodes - len(first))]
        kept = {n["id"] for n in nodes}
        edges = [e for e in edges if e["from"] in kept and e["to"] in kept]
    if len(edges) > max_edges:
        edges = sorted(edges, key=lambda e: -(e.get("_weight") or 0.0))[: max(0, max_edges)]
    return nodes, edges, Cap(total_nodes, len(nodes), total_edges, len(edges))


#: The golden angle: successive points of a sunflower spiral never line up.
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def cluster_layout(groups: Sequence[Any], *, spacing: float = 28.0) -> tuple[Any, Any]:
    """Positions (x, y arrays) for items in the given order, grouped by ``groups``.

    Each group is a sunflower disc, its earlier items nearer the centre (give the items most
    important first). The discs are packed in rows, largest first, each in its own square, so
    no two groups overlap. Vectorised apart from one step per group: a big network gets a
    readable layout without a browser simulating physics for minutes (bench/views.py).
    """
    import numpy as np
    import pandas as pd

    n = len(groups)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    keys = pd.Series([("g", g) if g is not None else ("none",) for g in groups], dtype=object)
    codes, _ = pd.factorize(keys)
    counts = np.bincount(codes)
    within = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    local_r = spacing * np.sqrt(within + 0.5)
    local_a = within * GOLDEN_ANGLE
    side = 2 * spacing * np.sqrt(counts + 0.5) + 2 * spacing  # each disc's square
    order = np.argsort(-counts, kind="stable")
    width = 1.1 * math.sqrt(float((side**2).sum()))
    cx, cy = np.zeros(len(counts)), np.zeros(len(counts))
    x = y = row = 0.0
    for g in order:
        if x > 0 and x + side[g] > width:
            x, y, row = 0.0, y + row, 0.0
        cx[g], cy[g] = x + side[g] / 2, y + side[g] / 2
        x, row = x + side[g], max(row, side[g])
    cx -= (cx.min() + cx.max()) / 2
    cy -= (cy.min() + cy.max()) / 2
    return cx[codes] + local_r * np.cos(local_a), cy[codes] + local_r * np.sin(local_a)


# --- the page ----------------------------------------------------------------------------------


def options(graph: Graph) -> dict[str, Any]:
    """vis-network options: the shared defaults, coarser for big graphs, then the view's own."""
    big = len(graph.nodes) > BIG or len(graph.edges) > 3 * BIG
    base: dict[str, Any] = {
        "autoResize": True,
        "nodes": {
            "shape": "dot",
            "borderWidth": 1,
            "font": {"face": FONT, "size": 14, "color": "#222222"},
        },
        "edges": {
            "font": {"face": FONT, "size": 11, "align": "middle", "color": "#333333"},
            "smooth": False if big else {"enabled": True, "type": "continuous"},
            "color": {"inherit": False},
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": big,
            "multiselect": False,
        },
        "layout": {"randomSeed": 360, "improvedLayout": not big},
        "physics": {
            "enabled": graph.physics,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -6000, "springLength": 140, "damping": 0.4},
            "stabilization": {
                "enabled": graph.physics,
                "iterations": 250 if big else 1000,
                "updateInterval": 25,
                "fit": True,
            },
        },
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
