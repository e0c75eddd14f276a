// routing_customer_scores for one customer, by key (a scoped run); nothing if never scored.
// params: $customer_id
// returns: at most one row: customer_id, current_value, potential_value, at_risk, value_at
MATCH (c:Customer {customer_id: $customer_id})
WHERE c.value_at IS NOT NULL
RETURN c.customer_id AS customer_id, c.current_value AS current_value,
       c.potential_value AS potential_value, c.at_risk AS at_risk, c.value_at AS value_at
