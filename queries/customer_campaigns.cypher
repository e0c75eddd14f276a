// The campaigns that targeted the customer, newest first, with the department running each.
// params: $customer_id
// returns: one row per campaign
MATCH (k:Campaign)-[m:TARGETS]->(c:Customer {customer_id: $customer_id})
OPTIONAL MATCH (k)-[:RUN_BY]->(d:Department)
RETURN k.campaign_id AS campaign_id, k.name AS name, k.channel AS channel,
       m.added_at AS added_at, d.name AS department
ORDER BY added_at DESC, campaign_id
