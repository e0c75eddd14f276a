// Every consent statement linked from one customer (graph360.consent.customer_consents).
// params: $customer_id
// returns: one row per statement: customer_id, purpose, channel, status, at, source, history
MATCH (c:Customer {customer_id: $customer_id})-[:CONSENTED]->(k:Consent)
RETURN c.customer_id AS customer_id, k.purpose AS purpose, k.channel AS channel,
       k.status AS status, k.at AS at, k.source AS source, k.history AS history
ORDER BY purpose, channel, source
