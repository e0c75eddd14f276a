// The never-merge rules that name one source record (its key quoted as in the rule's JSON
// lists): the person's export (graph360.export_person).
// params: $quoted (the record key as a JSON string, e.g. "\"crm:1\"")
// returns: one row per rule: rule_id, records_a, records_b, at, who
MATCH (n:NeverMerge)
WHERE n.records_a CONTAINS $quoted OR n.records_b CONTAINS $quoted
RETURN n.rule_id AS rule_id, n.records_a AS records_a, n.records_b AS records_b, n.at AS at,
       n.who AS who
ORDER BY rule_id
