// Delete the actions about one customer (graph360.erasure).
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})-[:NEEDS]->(a:Action)
DETACH DELETE a
