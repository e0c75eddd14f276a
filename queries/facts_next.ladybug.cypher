// The facts projection's NEXT pairs (graph360.facts): one row per
// (JourneyStep)-[:NEXT]->(JourneyStep), its ends as the handles their node queries give them: offsets.
// params: none
// returns: one row per relationship: source, target
MATCH (a:JourneyStep)-[:NEXT]->(b:JourneyStep)
RETURN offset(id(a)) AS source, offset(id(b)) AS target
