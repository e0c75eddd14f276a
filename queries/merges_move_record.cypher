// Move one source record to another customer (graph360.merges, a split), with the rule and
// record that now explain its link; the time it was first identified stays.
// params: $record_key, $customer_id (the customer it moves to), $rule, $via
// returns: one row: moved (1, or 0 when the record or the customer does not exist)
MATCH (:Customer)-[i:IDENTIFIED_BY]->(r:SourceRecord {record_key: $record_key})
MATCH (c:Customer {customer_id: $customer_id})
CREATE (c)-[:IDENTIFIED_BY {rule: $rule, via: $via, at: i.at}]->(r)
DELETE i
RETURN count(*) AS moved
