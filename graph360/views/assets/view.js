// graph360 view page: draws the network from the JSON payload, and fills the details panel.
// Every piece of data reaches the page as text (textContent, vis-network's innerText tooltips,
// canvas labels): nothing here builds HTML from data.
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("graph360-data").textContent);
  var container = document.getElementById("network");
  var status = document.getElementById("status");
  var details = document.getElementById("details");
  var nodes = new vis.DataSet(payload.nodes);
  var edges = new vis.DataSet(payload.edges);
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, payload.options);
  var counts = nodes.length + " nodes, " + edges.length + " edges";

  function ready(how) {
    // Physics off once laid out: a big graph stays responsive; nodes can still be dragged.
    network.setOptions({ physics: { enabled: false } });
    status.textContent = counts + " · " + how;
    document.body.setAttribute("data-ready", "true");
  }

  var physics = payload.options.physics && payload.options.physics.enabled;
  if (physics) {
    status.textContent = "Laying out " + counts + "…";
    network.on("stabilizationProgress", function (p) {
      status.textContent = "Laying out " + counts + ": " + Math.round((100 * p.iterations) / p.total) + "%";
    });
    network.once("stabilizationIterationsDone", function () { ready("layout done, physics off"); });
  } else {
    network.once("afterDrawing", function () { ready("fixed layout"); });
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
    if (params.nodes.length) {
      show(nodes.get(params.nodes[0]), "node");
    } else if (params.edges.length) {
      show(edges.get(params.edges[0]), "edge");
    } else {
      show(null);
    }
  });

  window.graph360 = { network: network, nodes: nodes, edges: edges, show: show };
})();
