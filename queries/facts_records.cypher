// The facts projection's SourceRecord table (graph360.facts): every source record with the
// system it came from (the coverage: which systems know a customer). h is the handle the
// relationship queries name it by: its key, record_key (Neo4j has no dense node offsets).
// params: none
// returns: one row per SourceRecord: h, source
MATCH (r:SourceRecord)
RETURN r.record_key AS h, r.source AS source
