// The customer's flags, open ones first, most severe first.
// params: $customer_id
// returns: one row per flag
MATCH (c:Customer {customer_id: $customer_id})-[:FLAGGED]->(f:Flag)
RETURN f.flag_id AS flag_id, f.kind AS kind, f.severity AS severity, f.reason AS reason,
       f.raised_at AS raised_at, f.status AS status
ORDER BY CASE f.status WHEN 'open' THEN 0 ELSE 1 END,
         CASE f.severity WHEN 'red' THEN 0 WHEN 'amber' THEN 1 ELSE 2 END, raised_at DESC
