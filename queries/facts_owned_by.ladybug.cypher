// The facts projection's OWNED_BY pairs (graph360.facts): one row per
// (JourneyStep)-[:OWNED_BY]->(Department), its ends as the handles their node queries give them: offsets.
// params: none
// returns: one row per relationship: source, target
MATCH (a:JourneyStep)-[:OWNED_BY]->(b:Department)
RETURN offset(id(a)) AS source, offset(id(b)) AS target
