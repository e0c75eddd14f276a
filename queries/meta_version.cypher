// The graph's version: how many committed writes have bumped it, and when the last one did.
// params: $meta (the Meta node's key; graph360.facts uses 'graph')
// returns: at most one row: version, written_at (no row: never bumped)
MATCH (m:Meta {name: $meta})
RETURN m.version AS version, m.written_at AS written_at
