// The erasure log, newest first (graph360.erasure; admins only on the API).
// params: $limit
// returns: one row per erasure: erasure_id, mode, reason, by, at, counts
MATCH (e:ErasureLog)
RETURN e.erasure_id AS erasure_id, e.mode AS mode, e.reason AS reason, e.by AS by,
       e.at AS at, e.counts AS counts
ORDER BY at DESC, erasure_id
LIMIT $limit
