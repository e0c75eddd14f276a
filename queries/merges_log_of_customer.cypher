// The entries of the merge log naming one customer (kept, folded in, split or split off),
// newest first (graph360.merges).
// params: $customer_id, $limit
// returns: one row per entry: entry_id, kind, at, who, rule, evidence, customer_id, other_id,
//          records
MATCH (m:MergeLog)
WHERE m.customer_id = $customer_id OR m.other_id = $customer_id
RETURN m.entry_id AS entry_id, m.kind AS kind, m.at AS at, m.who AS who, m.rule AS rule,
       m.evidence AS evidence, m.customer_id AS customer_id, m.other_id AS other_id,
       m.records AS records
ORDER BY at DESC, entry_id DESC
LIMIT $limit
