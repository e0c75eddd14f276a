// routing_flags for one customer, walking from the customer's key (a scoped run).
// params: $customer_id, $kinds (flag kinds)
// returns: one row per flag of the customer: flag_id, customer_id, kind, severity, status,
//          raised_at, reason (a kept flag whose reason is unchanged is not written again)
MATCH (c:Customer {customer_id: $customer_id})-[:FLAGGED]->(f:Flag)
WHERE f.kind IN $kinds
RETURN f.flag_id AS flag_id, c.customer_id AS customer_id, f.kind AS kind,
       f.severity AS severity, f.status AS status, f.raised_at AS raised_at,
       f.reason AS reason
