// The customer each of these source records belongs to now (a merge or split since the
// records were read moves them).
// params: $keys (record keys)
// returns: one row per record found: record_key, customer_id
UNWIND $keys AS k
MATCH (c:Customer)-[:IDENTIFIED_BY]->(r:SourceRecord {record_key: k})
RETURN r.record_key AS record_key, c.customer_id AS customer_id
