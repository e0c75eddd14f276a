// Log one erasure without personal data: its id, mode, reason, who asked, when and how many
// nodes of each kind went (graph360.erasure).
// params: $erasure_id, $mode, $reason, $by, $at, $counts
// returns: erasure_id
CREATE (e:ErasureLog {erasure_id: $erasure_id, mode: $mode, reason: $reason, by: $by,
                      at: $at, counts: $counts})
RETURN e.erasure_id AS erasure_id
