// The facts projection's TARGETS pairs (graph360.facts): one row per
// (Campaign)-[:TARGETS]->(Customer), its ends as the handles their node queries give them: offsets.
// params: none
// returns: one row per relationship: source, target, added_at
MATCH (a:Campaign)-[r:TARGETS]->(b:Customer)
RETURN offset(id(a)) AS source, offset(id(b)) AS target, r.added_at AS added_at
