// Every source record of one customer with what it carries, the fields it gave and how it was
// linked: what a split re-resolves and what the customer's fields are folded from
// (graph360.merges). One customer per call: a key lookup.
// params: $customer_id
// returns: one row per record, by record_key: record_key, email, phone, pseudo_id,
//          identified_as (a device's id, the record a sign-in names), name, gender,
//          birth_date, city, region, country, segment, persona, lifecycle_stage, created_at,
//          loaded_at, customer_id, rule, via
MATCH (c:Customer {customer_id: $customer_id})-[i:IDENTIFIED_BY]->(r:SourceRecord)
RETURN r.record_key AS record_key, r.email AS email, r.phone AS phone,
       r.pseudo_id AS pseudo_id, r.identified_as AS identified_as, r.name AS name,
       r.gender AS gender, r.birth_date AS birth_date, r.city AS city, r.region AS region,
       r.country AS country, r.segment AS segment, r.persona AS persona,
       r.lifecycle_stage AS lifecycle_stage, r.created_at AS created_at,
       r.loaded_at AS loaded_at, c.customer_id AS customer_id, i.rule AS rule, i.via AS via
ORDER BY record_key
