// Delete the flags raised on one customer (graph360.erasure).
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})-[:FLAGGED]->(f:Flag)
DETACH DELETE f
