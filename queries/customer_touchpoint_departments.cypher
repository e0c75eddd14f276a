// The Department of each of these touchpoints of the customer (a chain from the customer's key:
// fast whatever the size of the graph, unlike an OPTIONAL MATCH after ORDER BY … LIMIT).
// params: $customer_id, $touchpoint_ids
// returns: one row per touchpoint that has one: touchpoint_id, name
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)-[:HANDLED_BY]->(x:Department)
WHERE t.touchpoint_id IN $touchpoint_ids
RETURN t.touchpoint_id AS touchpoint_id, x.name AS name
