// Mark the links that a probabilistic merge made: each record's IDENTIFIED_BY says the rule,
// the record of the other customer it matched (via) and the pair's probability.
// params: $links (maps: record_key, via, probability), $rule, $at
// returns: one row per link marked: record_key
UNWIND $links AS l
MATCH (c:Customer)-[i:IDENTIFIED_BY]->(r:SourceRecord {record_key: l.record_key})
SET i.rule = $rule, i.via = l.via, i.probability = l.probability, i.at = $at
RETURN r.record_key AS record_key
