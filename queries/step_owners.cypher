// The departments owning these journey steps (a step with none is an ownership gap).
// params: $step_ids
// returns: one row per (step, owner): step_id, department_id, department
MATCH (s:JourneyStep)-[:OWNED_BY]->(d:Department)
WHERE s.step_id IN $step_ids
RETURN s.step_id AS step_id, d.department_id AS department_id, d.name AS department
ORDER BY step_id, department_id
