// identifiers_of_records for one record, by its primary key: a probe, where the list form's
// UNWIND makes LadybugDB scan the records (graph360.ingest.identifiers).
// params: $record_key
// returns: one row per identifier: key, record_key
MATCH (i:Identifier)-[:IDENTIFIES]->(:SourceRecord {record_key: $record_key})
RETURN i.key AS key, $record_key AS record_key
ORDER BY key
