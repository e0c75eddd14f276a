// The source records loaded after the last matching run: what incremental matching compares
// with the records matched before (graph360.matching).
// params: $since (the last run's time, naive UTC)
// returns: one row per record loaded after $since: record_key, customer_id, name, birth_date,
//          address, postcode, city
MATCH (c:Customer)-[:IDENTIFIED_BY]->(r:SourceRecord)
WHERE r.loaded_at > $since
RETURN r.record_key AS record_key, c.customer_id AS customer_id, r.name AS name,
       r.birth_date AS birth_date, r.address AS address, r.postcode AS postcode, r.city AS city
