// The names of the given customers (the top of an influence ranking).
// params: $ids (customer ids)
// returns: one row per customer found: customer_id, name
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN c.customer_id AS customer_id, c.name AS name
