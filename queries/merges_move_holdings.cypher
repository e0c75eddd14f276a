// Move the holdings a row named through one of these records from one customer to another
// (graph360.merges, a split).
// params: $from_id, $to_id, $records (list of record keys)
// returns: one row: moved
MATCH (old:Customer {customer_id: $from_id})-[h:HOLDS]->(a:Account)
WHERE h.record_key IN $records
MATCH (new:Customer {customer_id: $to_id})
CREATE (new)-[:HOLDS {role: h.role, record_key: h.record_key, row_hash: h.row_hash}]->(a)
DELETE h
RETURN count(*) AS moved
