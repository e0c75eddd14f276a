// The facts projection's HAS_STEP pairs (graph360.facts): one row per
// (Journey)-[:HAS_STEP]->(JourneyStep), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Journey)-[:HAS_STEP]->(b:JourneyStep)
RETURN a.journey_id AS source, b.step_id AS target
