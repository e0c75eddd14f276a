// Delete one source record with its relationships (graph360.erasure).
// params: $record_key
// returns: nothing
MATCH (r:SourceRecord {record_key: $record_key})
DETACH DELETE r
