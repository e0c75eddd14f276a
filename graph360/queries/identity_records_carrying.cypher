// Every source record carrying one of these e-mails or phones, with its customer: the rest of
// a batch's identity neighbourhood. All carriers are needed, not one: how many there are tells
// a placeholder (blocked) from a real identifier. LadybugDB has no index on these properties,
// so this scans the records once (Neo4j can use an index on them).
// params: $emails, $phones (normalised values; either list may be empty)
// returns: one row per record: record_key, email, phone, customer_id
MATCH (c:Customer)-[:IDENTIFIED_BY]->(r:SourceRecord)
WHERE r.email IN $emails OR r.phone IN $phones
RETURN r.record_key AS record_key, r.email AS email, r.phone AS phone, c.customer_id AS customer_id
