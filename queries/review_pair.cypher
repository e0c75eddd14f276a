// One pair of the review queue with its records and their customers now.
// params: $pair_id
// returns: at most one row: pair_id, probability, evidence, status, record_a, customer_a,
//          record_b, customer_b
MATCH (ca:Customer)-[:IDENTIFIED_BY]->(a:SourceRecord)<-[:PROPOSES {side: 'a'}]-(p:ReviewPair {pair_id: $pair_id})
MATCH (p)-[:PROPOSES {side: 'b'}]->(b:SourceRecord)<-[:IDENTIFIED_BY]-(cb:Customer)
RETURN p.pair_id AS pair_id, p.probability AS probability, p.evidence AS evidence,
       p.status AS status, a.record_key AS record_a, ca.customer_id AS customer_a,
       b.record_key AS record_b, cb.customer_id AS customer_b
