// The newest entries of the merge log (graph360.merges).
// params: $limit
// returns: one row per entry, newest first: entry_id, kind, at, who, rule, evidence,
//          customer_id, other_id, records
MATCH (m:MergeLog)
RETURN m.entry_id AS entry_id, m.kind AS kind, m.at AS at, m.who AS who, m.rule AS rule,
       m.evidence AS evidence, m.customer_id AS customer_id, m.other_id AS other_id,
       m.records AS records
ORDER BY at DESC, entry_id DESC
LIMIT $limit
