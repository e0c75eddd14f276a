// The facts projection's FOR_PRODUCT pairs (graph360.facts): one row per
// (Touchpoint)-[:FOR_PRODUCT]->(Product), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Touchpoint)-[:FOR_PRODUCT]->(b:Product)
RETURN a.touchpoint_id AS source, b.product_id AS target
