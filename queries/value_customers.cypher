// Every customer id: the population the value scores are written for.
// params: none
// returns: one row per customer: customer_id
MATCH (c:Customer)
RETURN c.customer_id AS customer_id
