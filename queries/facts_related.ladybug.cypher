// The facts projection's RELATED pairs (graph360.facts): one row per
// (Customer)-[:RELATED]->(Customer), its ends as the handles their node queries give them: offsets.
// params: none
// returns: one row per relationship: source, target, kind, weight
MATCH (a:Customer)-[r:RELATED]->(b:Customer)
RETURN offset(id(a)) AS source, offset(id(b)) AS target, r.kind AS kind, r.weight AS weight
