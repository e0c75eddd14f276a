// Remove these identifiers from the index when no source record carries them any more (a
// changed record's old e-mail or phone), so the index holds what a clean load would.
// params: $keys
// returns: nothing
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
WHERE NOT (i)-[:IDENTIFIES]->(:SourceRecord)
DELETE i
