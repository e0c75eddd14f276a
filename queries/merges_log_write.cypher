// One entry of the merge log (graph360.merges): record keys and customer ids only, never an
// e-mail, phone or name.
// params: $entry_id, $kind, $at, $who, $rule, $evidence (JSON), $customer_id, $other_id,
//         $records (JSON list of record keys)
// returns: one row: entry_id
CREATE (m:MergeLog {entry_id: $entry_id, kind: $kind, at: $at, who: $who, rule: $rule,
  evidence: $evidence, customer_id: $customer_id, other_id: $other_id, records: $records})
RETURN m.entry_id AS entry_id
