// The facts projection's SourceRecord table (graph360.facts): every source record with the
// system it came from (the coverage: which systems know a customer). h is the handle the
// relationship queries name it by: its offset in the node table (LadybugDB: dense integers,
// cheap to join).
// params: none
// returns: one row per SourceRecord: h, key, source
MATCH (r:SourceRecord)
RETURN offset(id(r)) AS h, r.record_key AS key, r.source AS source
