// Move the relationships a row started at one of these records from one customer to another
// (graph360.merges, a split).
// params: $from_id, $to_id, $records (list of record keys)
// returns: one row: moved
MATCH (old:Customer {customer_id: $from_id})-[r:RELATED]->(x:Customer)
WHERE r.from_record IN $records
MATCH (new:Customer {customer_id: $to_id})
CREATE (new)-[:RELATED {kind: r.kind, weight: r.weight, since: r.since,
  from_record: r.from_record, to_record: r.to_record, row_hash: r.row_hash}]->(x)
DELETE r
RETURN count(*) AS moved
