// Every never-merge rule (graph360.merges): what identity resolution must keep apart. Few
// (one per split a person or a placeholder made), so read whole.
// params: none
// returns: one row per rule, by rule_id: rule_id, records_a, records_b (JSON lists), at, who
MATCH (n:NeverMerge)
RETURN n.rule_id AS rule_id, n.records_a AS records_a, n.records_b AS records_b, n.at AS at,
       n.who AS who
ORDER BY rule_id
