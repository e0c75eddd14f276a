// The identity graph, exportable: every source record with its customer, the rule that linked
// it, through which record, and the probability of a probabilistic link.
// params: none
// returns: one row per source record, by record key: record_key, customer_id, rule, via,
//          probability
MATCH (c:Customer)-[i:IDENTIFIED_BY]->(r:SourceRecord)
RETURN r.record_key AS record_key, c.customer_id AS customer_id, i.rule AS rule, i.via AS via,
       i.probability AS probability
ORDER BY record_key
