// The review queue: pairs of records the matching found likely but not sure, with both
// records as they were typed and the customers they belong to now. A pair whose records have
// become one customer since is left out.
// params: $status ('open', 'accepted' or 'rejected'), $skip, $limit
// returns: one row per pair, the most probable first: pair_id, probability, evidence (JSON),
//          status, created_at, decided_at, decided_by, and for sides a and b: record, customer,
//          name, birth_date, address, postcode, city
MATCH (ca:Customer)-[:IDENTIFIED_BY]->(a:SourceRecord)<-[:PROPOSES {side: 'a'}]-(p:ReviewPair)
MATCH (p)-[:PROPOSES {side: 'b'}]->(b:SourceRecord)<-[:IDENTIFIED_BY]-(cb:Customer)
WHERE p.status = $status AND ($status <> 'open' OR ca.customer_id <> cb.customer_id)
RETURN p.pair_id AS pair_id, p.probability AS probability, p.evidence AS evidence,
       p.status AS status, p.created_at AS created_at, p.decided_at AS decided_at,
       p.decided_by AS decided_by,
       a.record_key AS record_a, ca.customer_id AS customer_a, a.name AS name_a,
       a.birth_date AS birth_date_a, a.address AS address_a, a.postcode AS postcode_a,
       a.city AS city_a,
       b.record_key AS record_b, cb.customer_id AS customer_b, b.name AS name_b,
       b.birth_date AS birth_date_b, b.address AS address_b, b.postcode AS postcode_b,
       b.city AS city_b
ORDER BY probability DESC, pair_id
SKIP $skip LIMIT $limit
