// Move an action along (new → outstanding → done) by hand.
// params: $action_id, $status
// returns: the action with its customer and department (none when there is no such action)
MATCH (c:Customer)-[:NEEDS]->(a:Action {action_id: $action_id})
SET a.status = $status
WITH c, a
OPTIONAL MATCH (a)-[:ASSIGNED_TO]->(d:Department)
RETURN a.action_id AS action_id, c.customer_id AS customer_id, a.kind AS kind,
       a.status AS status, a.reason AS reason, a.due_at AS due_at, a.created_at AS created_at,
       d.name AS department
