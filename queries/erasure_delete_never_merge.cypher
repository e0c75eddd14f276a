// Delete the never-merge rules that name one source record (its key, quoted as in the rule's
// JSON lists): an erased person's records are gone, and so is what kept them apart
// (graph360.erasure).
// params: $quoted (the record key as a JSON string, e.g. "\"crm:1\"")
// returns: nothing
MATCH (n:NeverMerge)
WHERE n.records_a CONTAINS $quoted OR n.records_b CONTAINS $quoted
DELETE n
