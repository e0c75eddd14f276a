// Whether any customer has value scores: a scoped run applies the amber and green rules only
// then, as a full run does. Stops at the first scored customer.
// params: none
// returns: at most one row: customer_id (any scored customer)
MATCH (c:Customer)
WHERE c.value_at IS NOT NULL
RETURN c.customer_id AS customer_id
LIMIT 1
