// The edge list of the influence graph: every RELATED relationship of the chosen kinds, as
// stored (referred: referred person -> referrer; follows: follower -> followed; the other
// kinds count both ways and are stored once).
// params: $kinds (relationship kinds to include)
// returns: one row per relationship: source, target (customer ids), kind, weight (may be null)
MATCH (a:Customer)-[r:RELATED]->(b:Customer)
WHERE r.kind IN $kinds
RETURN a.customer_id AS source, b.customer_id AS target, r.kind AS kind, r.weight AS weight
