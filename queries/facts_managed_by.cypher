// The facts projection's MANAGED_BY pairs (graph360.facts): one row per
// (Account)-[:MANAGED_BY]->(Department), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Account)-[:MANAGED_BY]->(b:Department)
RETURN a.account_id AS source, b.department_id AS target
