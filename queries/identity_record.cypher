// One source record, by its key, with the identifiers it carries and its customer: the key
// lookups of a batch's identity neighbourhood (a record key given or referred to). One key per
// call: LadybugDB uses its key index for `{record_key: $record_key}` but scans for `IN $list`.
// params: $record_key
// returns: at most one row: record_key, email, phone (both normalised), pseudo_id,
//          identified_as (a device id, the record a sign-in names), name,
//          customer_id,
//          rule, via (how it was linked: a join a person or the matcher made is kept)
//          (the name: records whose first names disagree are not linked)
MATCH (c:Customer)-[i:IDENTIFIED_BY]->(r:SourceRecord {record_key: $record_key})
RETURN r.record_key AS record_key, r.email AS email, r.phone AS phone,
       r.pseudo_id AS pseudo_id, r.identified_as AS identified_as, r.name AS name,
       c.customer_id AS customer_id, i.rule AS rule, i.via AS via
