// Move the campaign memberships a row named through one of these records from one customer
// to another (graph360.merges, a split).
// params: $from_id, $to_id, $records (list of record keys)
// returns: one row: moved
MATCH (m:Campaign)-[t:TARGETS]->(old:Customer {customer_id: $from_id})
WHERE t.record_key IN $records
MATCH (new:Customer {customer_id: $to_id})
CREATE (m)-[:TARGETS {added_at: t.added_at, record_key: t.record_key, row_hash: t.row_hash}]->(new)
DELETE t
RETURN count(*) AS moved
