// routing_complaints for one customer, walking from the customer's key (a scoped run).
// params: $customer_id, $kinds (the touchpoint kinds that are complaints)
// returns: one row per complaint touchpoint of the customer: customer_id, touchpoint_id, at,
//          kind, text, outcome, resolution
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
WHERE t.kind IN $kinds
RETURN c.customer_id AS customer_id, t.touchpoint_id AS touchpoint_id, t.at AS at,
       t.kind AS kind, t.text AS text, t.outcome AS outcome, t.resolution AS resolution
