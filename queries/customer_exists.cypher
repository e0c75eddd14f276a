// Whether a customer with this id is stored (one row when it is, none otherwise).
// params: $customer_id
// returns: customer_id
MATCH (c:Customer {customer_id: $customer_id})
RETURN c.customer_id AS customer_id
