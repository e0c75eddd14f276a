// Delete the accounts only this customer holds (a joint account stays for its other holder)
// (graph360.erasure, mode delete).
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})-[:HOLDS]->(a:Account)
WHERE COUNT { MATCH (:Customer)-[:HOLDS]->(a) } = 1
DETACH DELETE a
