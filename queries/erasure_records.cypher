// The source records of one customer with their identifiers (graph360.erasure): what goes
// on the suppression list and which identifiers to drop.
// params: $customer_id
// returns: one row per record: record_key, email, phone
MATCH (c:Customer {customer_id: $customer_id})-[:IDENTIFIED_BY]->(r:SourceRecord)
RETURN r.record_key AS record_key, r.email AS email, r.phone AS phone
ORDER BY record_key
