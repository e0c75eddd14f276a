// Every support ticket or complaint with what tells whether it is resolved.
// params: $kinds (the touchpoint kinds that are complaints)
// returns: one row per complaint touchpoint: customer_id, touchpoint_id, at, kind, text,
//          outcome, resolution
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)
WHERE t.kind IN $kinds
RETURN c.customer_id AS customer_id, t.touchpoint_id AS touchpoint_id, t.at AS at,
       t.kind AS kind, t.text AS text, t.outcome AS outcome, t.resolution AS resolution
