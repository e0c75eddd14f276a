// What someone must do for the customer: actions with their owning department, open first.
// params: $customer_id
// returns: one row per action
MATCH (c:Customer {customer_id: $customer_id})-[:NEEDS]->(a:Action)
OPTIONAL MATCH (a)-[:ASSIGNED_TO]->(d:Department)
RETURN a.action_id AS action_id, a.kind AS kind, a.status AS status, a.reason AS reason,
       a.due_at AS due_at, a.created_at AS created_at, d.name AS department
ORDER BY CASE a.status WHEN 'done' THEN 1 ELSE 0 END, due_at
