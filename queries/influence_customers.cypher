// Every customer id: the nodes of the influence graph (people related to nobody included).
// params: none
// returns: one row per customer: customer_id
MATCH (c:Customer)
RETURN c.customer_id AS customer_id
