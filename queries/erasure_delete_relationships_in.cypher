// Delete the relationships from other people to one customer (graph360.erasure).
// params: $customer_id
// returns: nothing
MATCH (:Customer)-[r:RELATED]->(c:Customer {customer_id: $customer_id})
DELETE r
