// The facts projection's TARGETS pairs (graph360.facts): one row per
// (Campaign)-[:TARGETS]->(Customer), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target, added_at
MATCH (a:Campaign)-[r:TARGETS]->(b:Customer)
RETURN a.campaign_id AS source, b.customer_id AS target, r.added_at AS added_at
