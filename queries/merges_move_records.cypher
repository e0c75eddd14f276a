// Move many source records to other customers in one statement (graph360.merges, the splits
// of a nightly delta), each with the rule and record that now explain its link; the time it
// was first identified stays. merges_move_record is the same for one record.
// params: $rows (list of maps: record_key, customer_id (the customer it moves to), rule, via)
// returns: one row: moved (how many records moved)
UNWIND $rows AS row
MATCH (:Customer)-[i:IDENTIFIED_BY]->(r:SourceRecord {record_key: row.record_key})
MATCH (c:Customer {customer_id: row.customer_id})
CREATE (c)-[:IDENTIFIED_BY {rule: row.rule, via: row.via, at: i.at}]->(r)
DELETE i
RETURN count(*) AS moved
