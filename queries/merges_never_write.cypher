// A never-merge rule (graph360.merges): two groups of source records that are not one person.
// params: $rule_id, $records_a, $records_b (JSON lists of record keys), $at, $who
// returns: one row: rule_id
MERGE (n:NeverMerge {rule_id: $rule_id})
SET n.records_a = $records_a, n.records_b = $records_b, n.at = $at, n.who = $who
RETURN n.rule_id AS rule_id
