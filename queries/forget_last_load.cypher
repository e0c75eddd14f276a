// Remove the last load's mark: the graph is no longer exactly what that load left, so loading
// the same bundle again must compare it row by row.
// params: none
// returns: nothing
MATCH (m:LastLoad)
DELETE m
