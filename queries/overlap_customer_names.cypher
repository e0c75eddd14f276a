// The names of a few customers (the worst-hit and the cross-sell candidates being listed).
// params: $customer_ids
// returns: one row per customer found: customer_id, name
UNWIND $customer_ids AS id
MATCH (c:Customer {customer_id: id})
RETURN c.customer_id AS customer_id, c.name AS name
