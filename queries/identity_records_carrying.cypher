// Every source record carrying this e-mail or phone, with its customer: part of a batch's
// identity neighbourhood. All carriers are needed, not one: how many there are tells a
// placeholder (blocked) from a real identifier. Through the identifier index
// (graph360.ingest.identifiers): a primary-key probe, not a scan of the records.
// params: $key (a normalised e-mail address, an E.164 phone number or "pseudo:" and a
//         device's pseudo id)
// returns: one row per record: record_key, email, phone, pseudo_id, identified_as, name,
//          customer_id,
//          rule, via (how it was linked: a join a person or the matcher made is kept)
//          (the name: records whose first names disagree are not linked)
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(r:SourceRecord)
MATCH (c:Customer)-[i:IDENTIFIED_BY]->(r)
RETURN r.record_key AS record_key, r.email AS email, r.phone AS phone,
       r.pseudo_id AS pseudo_id, r.identified_as AS identified_as, r.name AS name,
       c.customer_id AS customer_id, i.rule AS rule, i.via AS via
ORDER BY record_key
