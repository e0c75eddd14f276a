// drop_uncarried_identifiers for one identifier, by its primary key: a probe, where the list
// form's UNWIND makes LadybugDB scan the index (graph360.ingest.identifiers).
// params: $key
// returns: nothing
MATCH (i:Identifier {key: $key})
WHERE NOT (i)-[:IDENTIFIES]->(:SourceRecord)
DELETE i
