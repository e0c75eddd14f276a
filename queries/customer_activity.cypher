// The customer's activity in numbers: touchpoints in all and since a moment, first and last.
// params: $customer_id, $since
// returns: one row: touchpoints, recent_touchpoints, first_at, last_at
MATCH (c:Customer {customer_id: $customer_id})
OPTIONAL MATCH (c)-[:HAD]->(t:Touchpoint)
RETURN count(t) AS touchpoints,
       sum(CASE WHEN t.at >= $since THEN 1 ELSE 0 END) AS recent_touchpoints,
       min(t.at) AS first_at, max(t.at) AS last_at
