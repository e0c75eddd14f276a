// Delete one customer node with whatever relationships it still has (graph360.erasure).
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})
DETACH DELETE c
