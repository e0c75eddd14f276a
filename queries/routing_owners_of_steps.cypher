// routing_step_owners for these steps only (a scoped run), looked up by key.
// params: $step_ids
// returns: one row per OWNED_BY of these steps: step_id, department_id
UNWIND $step_ids AS id
MATCH (s:JourneyStep {step_id: id})-[:OWNED_BY]->(d:Department)
RETURN s.step_id AS step_id, d.department_id AS department_id
ORDER BY step_id, department_id
