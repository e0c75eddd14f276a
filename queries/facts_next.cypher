// The facts projection's NEXT pairs (graph360.facts): one row per
// (JourneyStep)-[:NEXT]->(JourneyStep), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target
MATCH (a:JourneyStep)-[:NEXT]->(b:JourneyStep)
RETURN a.step_id AS source, b.step_id AS target
