// routing_actions for these action ids only (a scoped run: the follow-ups its poor ratings
// would have), looked up by key.
// params: $action_ids, $kind (the action kind)
// returns: one row per existing action: action_id, status, department_id (null: assigned to
//          nobody)
UNWIND $action_ids AS id
MATCH (a:Action {action_id: id})
WHERE a.kind = $kind
OPTIONAL MATCH (a)-[:ASSIGNED_TO]->(d:Department)
RETURN a.action_id AS action_id, a.status AS status, d.department_id AS department_id
