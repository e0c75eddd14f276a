// Delete the review pairs that propose one source record, before the record itself goes
// (graph360.erasure): a pair holds the record's key and its match evidence.
// params: $record_key
// returns: nothing
MATCH (p:ReviewPair)-[:PROPOSES]->(:SourceRecord {record_key: $record_key})
DETACH DELETE p
