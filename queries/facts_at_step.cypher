// The facts projection's AT_STEP pairs (graph360.facts): one row per
// (Touchpoint)-[:AT_STEP]->(JourneyStep), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Touchpoint)-[:AT_STEP]->(b:JourneyStep)
RETURN a.touchpoint_id AS source, b.step_id AS target
