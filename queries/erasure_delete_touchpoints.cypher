// Delete every touchpoint of one customer with their relationships (graph360.erasure, mode
// delete).
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
DETACH DELETE t
