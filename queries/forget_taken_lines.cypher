// Forget which lines the last load took (graph360.ingest.taken): the next load reads every
// line of its files again. An erasure does, so that the next report says what it left out.
// params: $meta (the Meta node's key, 'taken-lines')
// returns: nothing
MATCH (m:Meta {name: $meta})
DELETE m
