// Move many source records to other customers in one statement (graph360.merges, the splits
// of a nightly delta), each with the rule and record that now explain its link; the time it
// was first identified stays. One LOAD FROM join: ~1-2 s at 1M/10M whatever the count, where
// merges_move_record costs ~8 ms a record.
// params: $rows (Arrow table: record_key, customer_id (the customer it moves to), rule, via)
// returns: one row: moved (how many records moved)
LOAD FROM $rows
MATCH (:Customer)-[i:IDENTIFIED_BY]->(r:SourceRecord {record_key: record_key})
MATCH (c:Customer {customer_id: customer_id})
CREATE (c)-[:IDENTIFIED_BY {rule: rule, via: via, at: i.at}]->(r)
DELETE i
RETURN count(*) AS moved
