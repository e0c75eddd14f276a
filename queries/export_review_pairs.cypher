// The matching's review pairs that propose one of a customer's source records: the person's
// export (graph360.export_person).
// params: $customer_id
// returns: one row per pair: pair_id, record_a, record_b, probability, evidence (JSON),
//          status, created_at, decided_at, decided_by
MATCH (:Customer {customer_id: $customer_id})-[:IDENTIFIED_BY]->(:SourceRecord)
      <-[:PROPOSES]-(p:ReviewPair)
RETURN DISTINCT p.pair_id AS pair_id, p.record_a AS record_a, p.record_b AS record_b,
       p.probability AS probability, p.evidence AS evidence, p.status AS status,
       p.created_at AS created_at, p.decided_at AS decided_at, p.decided_by AS decided_by
ORDER BY pair_id
