// GraphiQL for graph360: every request needs an API key, given in the Headers tab as
// {"Authorization": "Bearer g360_…"}; GraphiQL keeps it in this browser's local storage.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + "/graphql" });
  // Without a key every request is refused (401): until one is in the headers, GraphiQL does
  // not ask for the schema (with a key, it asks when the server allows introspection).
  var saved = window.localStorage.getItem("graphiql:headers") || "";
  var hasKey = saved.indexOf("g360_") !== -1;
  var example = [
    "# Put your API key in the Headers tab below (then reload for the docs and completion),",
    "# and run:",
    "query Card($ref: String!) {",
    "  customer(ref: $ref) {",
    "    id name segment lifecycleStage",
    "    value { current potential atRisk }",
    "    influence { score rank reach }",
    "    flags { severity kind reason }",
    "    journeys { journey step owners unowned }",
    "    touchpoints(first: 5) { edges { node { at channel kind step } } }",
    "  }",
    "}",
    "",
  ].join("\n");
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: example,
      defaultHeaders: '{"Authorization": "Bearer "}',
      shouldPersistHeaders: true,
      schema: hasKey ? undefined : null,
    })
  );
})();
