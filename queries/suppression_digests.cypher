// Every entry of the suppression list (graph360.suppression.Screen): usually none or a few.
// params: none
// returns: digest, kind, bucket (the value's quick hash; null for an entry written before it)
MATCH (s:Suppression)
RETURN s.digest AS digest, s.kind AS kind, s.bucket AS bucket
