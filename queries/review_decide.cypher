// Accept or reject an open pair of the review queue: who decided and when.
// params: $pair_id, $status ('accepted' or 'rejected'), $at, $who
// returns: one row when the pair was open (none when it is not in the queue or was decided)
MATCH (p:ReviewPair {pair_id: $pair_id})
WHERE p.status = 'open'
SET p.status = $status, p.decided_at = $at, p.decided_by = $who
RETURN p.pair_id AS pair_id
