// The facts projection's RUN_BY pairs (graph360.facts): one row per
// (Campaign)-[:RUN_BY]->(Department), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Campaign)-[:RUN_BY]->(b:Department)
RETURN a.campaign_id AS source, b.department_id AS target
