// Every source record with what probabilistic matching compares, as the record typed it, and
// the customer it belongs to (graph360.matching).
// params: none
// returns: one row per source record: record_key, customer_id, name, birth_date, address,
//          postcode, city
MATCH (c:Customer)-[:IDENTIFIED_BY]->(r:SourceRecord)
RETURN r.record_key AS record_key, c.customer_id AS customer_id, r.name AS name,
       r.birth_date AS birth_date, r.address AS address, r.postcode AS postcode, r.city AS city
