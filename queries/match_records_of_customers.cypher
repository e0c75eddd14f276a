// The record keys of these customers (the merge log lists the records each merge folded in).
// params: $customer_ids
// returns: one row per record of those customers: customer_id, record_key
UNWIND $customer_ids AS k
MATCH (c:Customer {customer_id: k})-[:IDENTIFIED_BY]->(r:SourceRecord)
RETURN c.customer_id AS customer_id, r.record_key AS record_key
