// Make a department an owner of a journey step (nothing changes if it is one already).
// params: $step_id, $department_id
// returns: one row (step_id, department_id) when both exist, none otherwise
MATCH (s:JourneyStep {step_id: $step_id}), (d:Department {department_id: $department_id})
MERGE (s)-[:OWNED_BY]->(d)
RETURN s.step_id AS step_id, d.department_id AS department_id
