// The identifier index's entries for these source records (graph360.ingest.identifiers): what
// a changed record carried before it changed.
// params: $record_keys
// returns: one row per identifier and record: key, record_key
UNWIND $record_keys AS record_key
MATCH (i:Identifier)-[:IDENTIFIES]->(:SourceRecord {record_key: record_key})
RETURN i.key AS key, record_key
ORDER BY key, record_key
