// Customers whose source records carry this (normalised, lower-case) e-mail address.
// params: $email
// returns: one row per customer: customer_id
MATCH (c:Customer)-[:IDENTIFIED_BY]->(r:SourceRecord)
WHERE r.email = $email
RETURN DISTINCT c.customer_id AS customer_id
ORDER BY customer_id
