// Forget which of one customer's source records named each account they hold (graph360.erasure,
// mode anonymise: the records are gone).
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})-[h:HOLDS]->(:Account)
SET h.record_key = NULL
