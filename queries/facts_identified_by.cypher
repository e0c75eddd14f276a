// The facts projection's IDENTIFIED_BY pairs (graph360.facts): one row per
// (Customer)-[:IDENTIFIED_BY]->(SourceRecord), its ends as the handles their node queries give
// them: their keys.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Customer)-[:IDENTIFIED_BY]->(b:SourceRecord)
RETURN a.customer_id AS source, b.record_key AS target
