// The customer a split creates (graph360.merges): made if it does not exist yet; its fields
// are folded from its records afterwards.
// params: $customer_id
// returns: one row: customer_id
MERGE (c:Customer {customer_id: $customer_id})
RETURN c.customer_id AS customer_id
