// Each customer's purchase value within [$since, $until): the sum of the values of their
// touchpoints then (customers with no valued touchpoint in the window are left out).
// params: $since, $until
// returns: one row per customer: customer_id, value
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)
WHERE t.at >= $since AND t.at < $until AND t.value IS NOT NULL
RETURN c.customer_id AS customer_id, sum(t.value) AS value
