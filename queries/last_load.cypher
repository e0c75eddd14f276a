// The mark the last load of a whole bundle left: its digest (graph360.ingest.changes
// .bundle_digest) and its report as JSON. Any other write removes it (forget_last_load).
// params: none
// returns: at most one row: digest, report, loaded_at
MATCH (m:LastLoad)
RETURN m.digest AS digest, m.report AS report, m.loaded_at AS loaded_at
