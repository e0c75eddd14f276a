// Take one digest off the suppression list (graph360.suppression.lift).
// params: $digest
// returns: one row (the digest) when it was on the list, none otherwise
MATCH (s:Suppression {digest: $digest})
WITH s, s.digest AS digest
DELETE s
RETURN digest
