// Move the relationships a row ended at one of these records from one customer to another
// (graph360.merges, a split).
// params: $from_id, $to_id, $records (list of record keys)
// returns: one row: moved
MATCH (x:Customer)-[r:RELATED]->(old:Customer {customer_id: $from_id})
WHERE r.to_record IN $records
MATCH (new:Customer {customer_id: $to_id})
CREATE (x)-[:RELATED {kind: r.kind, weight: r.weight, since: r.since,
  from_record: r.from_record, to_record: r.to_record, row_hash: r.row_hash}]->(new)
DELETE r
RETURN count(*) AS moved
