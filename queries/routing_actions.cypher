// The follow-up actions that exist already (of one kind), with their status and the department
// they are assigned to: the rules leave them as they are and count them.
// params: $kind (the action kind)
// returns: one row per action: action_id, status, department_id (null: assigned to nobody)
MATCH (a:Action)
WHERE a.kind = $kind
OPTIONAL MATCH (a)-[:ASSIGNED_TO]->(d:Department)
RETURN a.action_id AS action_id, a.status AS status, d.department_id AS department_id
