// Create the anonymous customer an anonymised person's touchpoints move to: a key and
// nothing else (graph360.erasure, mode anonymise).
// params: $customer_id
// returns: customer_id
CREATE (c:Customer {customer_id: $customer_id})
RETURN c.customer_id AS customer_id
