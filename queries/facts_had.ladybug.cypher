// The facts projection's HAD pairs (graph360.facts): one row per
// (Customer)-[:HAD]->(Touchpoint), its ends as the handles their node queries give them: offsets.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Customer)-[:HAD]->(b:Touchpoint)
RETURN offset(id(a)) AS source, offset(id(b)) AS target
