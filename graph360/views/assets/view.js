// graph360 view page: draws the network from the JSON payload, and fills the details panel.
// Every piece of data reaches the page as text (textContent, vis-network's innerText tooltips,
// canvas labels): nothing here builds HTML from data.
//
// Readable at any size: the layout comes laid out (x, y from Python, physics off), so the first
// frame is the picture. Once drawn, labels are placed by priority (a node's or edge's
// `priority`, highest first): a label whose box would overlap one already placed is left out
// (its item keeps its tooltip and details), then the view is fitted to what is drawn, labels
// included. A click selects what is under the pointer: a node's shape, else a label's box, else
// the nearest edge line.
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("graph360-data").textContent);
  var container = document.getElementById("network");
  var status = document.getElementById("status");
  var details = document.getElementById("details");
  var nodes = new vis.DataSet(payload.nodes);
  var edges = new vis.DataSet(payload.edges);
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, payload.options);
  var body = network.body;
  var counts = nodes.length + " nodes, " + edges.length + " edges";
  var PAD = 3; // canvas units kept free around each label
  var selected = null;

  function labelBox(item) {
    // The box of the label as drawn, in canvas units; null when no label is drawn.
    var label = item.labelModule;
    if (!item.options.label || !label || !label.visible()) { return null; }
    var s = label.size;
    return { left: s.left, top: s.top, right: s.left + s.width, bottom: s.top + s.height };
  }

  function overlaps(a, b, pad) {
    return a.left < b.right + pad && b.left < a.right + pad &&
      a.top < b.bottom + pad && b.top < a.bottom + pad;
  }

  function labelled() {
    // Every node and edge with a label, highest priority first (nodes before edges on a tie).
    var items = [];
    nodes.forEach(function (n) { if (n.label) { items.push({ kind: "node", id: n.id, p: n.priority || 0, order: items.length }); } });
    edges.forEach(function (e) { if (e.label) { items.push({ kind: "edge", id: e.id, p: e.priority || 0, order: items.length + 1e6 }); } });
    items.sort(function (a, b) { return b.p - a.p || a.order - b.order; });
    return items;
  }

  function internal(item) { return item.kind === "node" ? body.nodes[item.id] : body.edges[item.id]; }

  function declutter() {
    // Greedy placement by priority on a grid of buckets: labels that would overlap a placed
    // one are hidden, their text kept as the item's heading.
    var placed = {};
    var CELL = 200;
    var hideNodes = [];
    var hideEdges = [];
    labelled().forEach(function (item) {
      var box = labelBox(internal(item));
      if (!box) { return; }
      var x0 = Math.floor(box.left / CELL), x1 = Math.floor(box.right / CELL);
      var y0 = Math.floor(box.top / CELL), y1 = Math.floor(box.bottom / CELL);
      var clash = false;
      for (var x = x0; x <= x1 && !clash; x++) {
        for (var y = y0; y <= y1 && !clash; y++) {
          (placed[x + "," + y] || []).forEach(function (other) { clash = clash || overlaps(box, other, PAD); });
        }
      }
      if (clash) {
        var data = (item.kind === "node" ? nodes : edges).get(item.id);
        data.heading = data.heading || data.label;
        delete data.label;
        (item.kind === "node" ? hideNodes : hideEdges).push(data);
        return;
      }
      for (x = x0; x <= x1; x++) {
        for (y = y0; y <= y1; y++) { (placed[x + "," + y] = placed[x + "," + y] || []).push(box); }
      }
    });
    // Put back without their label: vis-network keeps an edge's old label on an update.
    [[nodes, hideNodes], [edges, hideEdges]].forEach(function (pair) {
      if (pair[1].length) {
        pair[0].remove(pair[1].map(function (d) { return d.id; }));
        pair[0].add(pair[1]);
      }
    });
    return hideNodes.length + hideEdges.length;
  }

  function fit() {
    // Fit the view to the nodes and the labels drawn (vis-network's fit leaves a long label at
    // the edge of the picture cut off).
    var box = null;
    function grow(b) {
      if (!b) { return; }
      box = box ? { left: Math.min(box.left, b.left), top: Math.min(box.top, b.top),
        right: Math.max(box.right, b.right), bottom: Math.max(box.bottom, b.bottom) } : b;
    }
    Object.keys(body.nodes).forEach(function (id) {
      var n = body.nodes[id];
      grow({ left: n.x - n.shape.width / 2, right: n.x + n.shape.width / 2,
        top: n.y - n.shape.height / 2, bottom: n.y + n.shape.height / 2 });
      grow(labelBox(n));
    });
    Object.keys(body.edges).forEach(function (id) { grow(labelBox(body.edges[id])); });
    if (!box) { return; }
    var width = container.clientWidth, height = container.clientHeight;
    var scale = Math.min(width / (box.right - box.left + 40), height / (box.bottom - box.top + 40), 1.6);
    network.moveTo({ position: { x: (box.left + box.right) / 2, y: (box.top + box.bottom) / 2 },
      scale: scale, animation: false });
  }

  // Edge labels once more over every line: vis-network draws each edge's label with its line,
  // so a line drawn later would cross an earlier label.
  network.on("afterDrawing", function (ctx) {
    Object.keys(body.edges).forEach(function (id) {
      var e = body.edges[id];
      if (e.connected && e.options.label && e.labelModule.visible()) { e.drawLabel(ctx, e.edgeType.getViaNode()); }
    });
  });

  var settled = false;
  network.once("afterDrawing", function () {
    fit();
    network.redraw();
    var hidden = declutter();
    network.redraw();
    fit();
    network.redraw();
    settled = true;
    window.graph360.readyAt = Math.round(performance.now());
    status.textContent = counts + " · laid out" +
      (hidden ? " · " + hidden + " labels left out where they would overlap (hover or click for them)" : "");
    document.body.setAttribute("data-ready", "true");
  });

  function toDOM(box) {
    // A canvas-unit box as page coordinates.
    var frame = container.getBoundingClientRect();
    var a = network.canvasToDOM({ x: box.left, y: box.top });
    var b = network.canvasToDOM({ x: box.right, y: box.bottom });
    return { left: frame.left + a.x, top: frame.top + a.y, right: frame.left + b.x, bottom: frame.top + b.y };
  }

  function labelBoxes() {
    // What the test checks: every label drawn, its box on the page and its font size in pixels.
    var out = [];
    labelled().forEach(function (item) {
      var it = internal(item);
      var box = labelBox(it);
      if (!box) { return; }
      var page = toDOM(box);
      page.kind = item.kind;
      page.id = item.id;
      page.text = it.options.label;
      page.fontPx = it.labelModule.fontOptions.size * network.getScale();
      out.push(page);
    });
    return out;
  }

  function onShape(node, point) {
    var dx = point.x - node.x, dy = point.y - node.y;
    if (node.options.shape === "box") {
      return Math.abs(dx) <= node.shape.width / 2 && Math.abs(dy) <= node.shape.height / 2;
    }
    return dx * dx + dy * dy <= Math.pow((node.options.size || 10) + 2, 2);
  }

  function segment(point, a, b) {
    var vx = b.x - a.x, vy = b.y - a.y;
    var t = vx || vy ? ((point.x - a.x) * vx + (point.y - a.y) * vy) / (vx * vx + vy * vy) : 0;
    t = Math.max(0, Math.min(1, t));
    return Math.hypot(point.x - (a.x + t * vx), point.y - (a.y + t * vy));
  }

  function pick(point) {
    // What is under ``point`` (canvas units): {kind, id} or null.
    var best = null;
    Object.keys(body.nodes).forEach(function (id) {
      var n = body.nodes[id];
      if (onShape(n, point)) {
        var d = Math.hypot(point.x - n.x, point.y - n.y);
        if (!best || d < best.d) { best = { kind: "node", id: n.id, d: d }; }
      }
    });
    if (best) { return best; }
    labelled().some(function (item) {
      var box = labelBox(internal(item));
      if (box && point.x >= box.left && point.x <= box.right && point.y >= box.top && point.y <= box.bottom) {
        best = { kind: item.kind, id: item.id };
        return true;
      }
      return false;
    });
    if (best) { return best; }
    // Lines within 3 px of each other are a tie under the pointer: the one whose middle (where
    // its label is) is nearer wins.
    var reach = 6 / network.getScale(), tie = 3 / network.getScale();
    Object.keys(body.edges).forEach(function (id) {
      var e = body.edges[id];
      if (!e.connected) { return; }
      var d = segment(point, e.from, e.to);
      var mid = Math.hypot(point.x - (e.from.x + e.to.x) / 2, point.y - (e.from.y + e.to.y) / 2);
      if (d <= (e.options.width || 1) / 2 + reach && (!best || d < best.d - tie || (Math.abs(d - best.d) <= tie && mid < best.mid))) {
        best = { kind: "edge", id: e.id, d: d, mid: mid };
      }
    });
    return best;
  }

  function cell(row, tag, value) {
    var element = document.createElement(tag);
    element.textContent = value;
    row.appendChild(element);
  }

  function show(item, kind) {
    details.textContent = "";
    if (!item) {
      var hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = "Click a node or an edge to list its figures here; hover for a tooltip.";
      details.appendChild(hint);
      return;
    }
    var heading = document.createElement("h3");
    heading.textContent = item.heading || item.label || kind;
    details.appendChild(heading);
    var table = document.createElement("table");
    String(item.title || "").split("\n").forEach(function (line) {
      if (!line) { return; }
      var row = document.createElement("tr");
      var at = line.indexOf(": ");
      if (at > 0) {
        cell(row, "th", line.slice(0, at));
        cell(row, "td", line.slice(at + 2));
      } else {
        var only = document.createElement("td");
        only.colSpan = 2;
        only.textContent = line;
        row.appendChild(only);
      }
      table.appendChild(row);
    });
    details.appendChild(table);
  }

  network.on("click", function (params) {
    if (!settled) { return; }
    var hit = pick(params.pointer.canvas);
    selected = hit ? { kind: hit.kind, id: hit.id } : null;
    window.graph360.selected = selected;
    if (!hit) {
      network.unselectAll();
      show(null);
    } else if (hit.kind === "node") {
      network.setSelection({ nodes: [hit.id], edges: [] }, { highlightEdges: false });
      show(nodes.get(hit.id), "node");
    } else {
      network.setSelection({ nodes: [], edges: [hit.id] });
      show(edges.get(hit.id), "edge");
    }
  });

  window.graph360 = {
    network: network, nodes: nodes, edges: edges, show: show, labelBoxes: labelBoxes,
    selected: null, readyAt: null,
  };
})();
