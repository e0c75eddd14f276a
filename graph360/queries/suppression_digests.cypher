// Every digest on the suppression list (graph360.suppression.Screen): usually none or a few.
// params: none
// returns: digest
MATCH (s:Suppression)
RETURN s.digest AS digest
