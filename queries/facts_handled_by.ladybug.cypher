// The facts projection's HANDLED_BY pairs (graph360.facts): one row per
// (Touchpoint)-[:HANDLED_BY]->(Department), its ends as the handles their node queries give them: offsets.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Touchpoint)-[:HANDLED_BY]->(b:Department)
RETURN offset(id(a)) AS source, offset(id(b)) AS target
