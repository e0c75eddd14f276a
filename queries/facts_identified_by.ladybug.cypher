// The facts projection's IDENTIFIED_BY pairs (graph360.facts): one row per
// (Customer)-[:IDENTIFIED_BY]->(SourceRecord), its ends as the handles their node queries give
// them: offsets.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Customer)-[:IDENTIFIED_BY]->(b:SourceRecord)
RETURN offset(id(a)) AS source, offset(id(b)) AS target
