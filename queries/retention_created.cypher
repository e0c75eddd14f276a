// When each customer was created, as their source systems said (graph360.retention: the
// activity of a person with no touchpoints).
// params: none
// returns: one row per customer: customer_id, created_at
MATCH (c:Customer)
RETURN c.customer_id AS customer_id, c.created_at AS created_at
