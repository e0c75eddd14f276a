// Bump the graph's version by one, inside the writer's transaction, and say what it now is.
// params: $meta (the Meta node's key), $now (the commit's time)
// returns: one row: version, written_at
MERGE (m:Meta {name: $meta})
ON CREATE SET m.version = 1, m.written_at = $now
ON MATCH SET m.version = m.version + 1, m.written_at = $now
RETURN m.version AS version, m.written_at AS written_at
