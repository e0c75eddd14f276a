// Remove the name and extra attributes of the accounts only this customer holds, keeping
// kind, status, plan, dates and value for the counts (graph360.erasure, mode anonymise).
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})-[:HOLDS]->(a:Account)
WHERE COUNT { MATCH (:Customer)-[:HOLDS]->(a) } = 1
SET a.name = NULL, a.attributes = NULL
