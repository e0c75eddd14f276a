// The facts projection's HAD pairs (graph360.facts): one row per
// (Customer)-[:HAD]->(Touchpoint), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Customer)-[:HAD]->(b:Touchpoint)
RETURN a.customer_id AS source, b.touchpoint_id AS target
