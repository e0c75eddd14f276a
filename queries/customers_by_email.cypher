// Customers whose source records carry this (normalised, lower-case) e-mail address, through
// the identifier index (graph360.ingest.identifiers): a primary-key probe, not a scan.
// params: $email
// returns: one row per customer: customer_id
MATCH (:Identifier {key: $email})-[:IDENTIFIES]->(r:SourceRecord)
MATCH (c:Customer)-[:IDENTIFIED_BY]->(r)
RETURN DISTINCT c.customer_id AS customer_id
ORDER BY customer_id
