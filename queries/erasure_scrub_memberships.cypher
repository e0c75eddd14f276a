// Forget which of one customer's source records named each campaign membership
// (graph360.erasure, mode anonymise: the records are gone).
// params: $customer_id
// returns: nothing
MATCH (:Campaign)-[m:TARGETS]->(c:Customer {customer_id: $customer_id})
SET m.record_key = NULL
