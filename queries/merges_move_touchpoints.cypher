// Move the touchpoints whose reference named one of these records from one customer to
// another (graph360.merges, a split): the record takes its own history with it.
// params: $from_id, $to_id, $records (list of record keys)
// returns: one row: moved
MATCH (old:Customer {customer_id: $from_id})-[h:HAD]->(t:Touchpoint)
WHERE t.record_key IN $records
MATCH (new:Customer {customer_id: $to_id})
CREATE (new)-[:HAD]->(t)
DELETE h
RETURN count(*) AS moved
