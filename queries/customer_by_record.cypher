// Which customer a source record (source:source_id) belongs to.
// params: $record_key
// returns: at most one row: customer_id
MATCH (c:Customer)-[:IDENTIFIED_BY]->(r:SourceRecord {record_key: $record_key})
RETURN c.customer_id AS customer_id
