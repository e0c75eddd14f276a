// The facts projection's FROM_CAMPAIGN pairs (graph360.facts): one row per
// (Touchpoint)-[:FROM_CAMPAIGN]->(Campaign), its ends as the handles their node queries give them: their keys.
// params: none
// returns: one row per relationship: source, target
MATCH (a:Touchpoint)-[:FROM_CAMPAIGN]->(b:Campaign)
RETURN a.touchpoint_id AS source, b.campaign_id AS target
