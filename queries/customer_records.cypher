// The customer's identity: every source record, and the rule that linked it (and through
// which other record).
// params: $customer_id
// returns: one row per source record, the anchor record (rule source_id) first
MATCH (c:Customer {customer_id: $customer_id})-[i:IDENTIFIED_BY]->(r:SourceRecord)
RETURN r.record_key AS record_key, r.source AS source, r.source_id AS source_id,
       r.name AS name, r.email AS email, r.phone AS phone, r.loaded_at AS loaded_at,
       r.attributes AS attributes, i.rule AS rule, i.via AS via, i.at AS linked_at
ORDER BY CASE i.rule WHEN 'source_id' THEN 0 ELSE 1 END, record_key
