// Every source record with the identifiers it carries and the customer it belongs to:
// the input identity resolution needs to let new records join (or bridge) existing customers.
// params: none
// returns: one row per source record: record_key, email, phone (both normalised),
//          pseudo_id, identified_as (a device id, the record a sign-in names), name,
//          customer_id,
//          rule, via (how it was linked: a join a person or the matcher made is kept)
//          (the name: records whose first names disagree are not linked)
MATCH (c:Customer)-[i:IDENTIFIED_BY]->(r:SourceRecord)
RETURN r.record_key AS record_key, r.email AS email, r.phone AS phone,
       r.pseudo_id AS pseudo_id, r.identified_as AS identified_as, r.name AS name,
       c.customer_id AS customer_id, i.rule AS rule, i.via AS via
