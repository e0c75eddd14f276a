// Delete the consent statements of one customer (graph360.erasure).
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})-[:CONSENTED]->(k:Consent)
DETACH DELETE k
