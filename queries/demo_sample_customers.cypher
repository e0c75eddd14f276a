// Customers worth opening first: those known to the most source systems, then the busiest.
// params: $limit
// returns: one row per customer: ref (e-mail when known, else the customer id), records
MATCH (c:Customer)-[:IDENTIFIED_BY]->(r:SourceRecord)
WITH c, count(r) AS records
ORDER BY records DESC, c.customer_id
LIMIT $limit
RETURN coalesce(c.email, c.customer_id) AS ref, records
