// The departments running the campaigns that targeted the customer: the customer view links
// each campaign to the same department node as the accounts it manages (by department id).
// params: $customer_id
// returns: one row per (campaign, running department): campaign_id, department_id, department
MATCH (k:Campaign)-[:TARGETS]->(c:Customer {customer_id: $customer_id})
MATCH (k)-[:RUN_BY]->(d:Department)
RETURN k.campaign_id AS campaign_id, d.department_id AS department_id, d.name AS department
ORDER BY campaign_id, department_id
