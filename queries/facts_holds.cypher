// The facts projection's HOLDS pairs (graph360.facts): one row per
// (Customer)-[:HOLDS]->(Account), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target, role
MATCH (a:Customer)-[r:HOLDS]->(b:Account)
RETURN a.customer_id AS source, b.account_id AS target, r.role AS role
