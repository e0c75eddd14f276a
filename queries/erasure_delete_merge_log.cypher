// Delete the merge-log entries naming one customer, kept, folded in, split or split off
// (graph360.erasure: their identity's history is theirs).
// params: $customer_id
// returns: nothing
MATCH (m:MergeLog)
WHERE m.customer_id = $customer_id OR m.other_id = $customer_id
DELETE m
