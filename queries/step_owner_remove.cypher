// Stop a department owning a journey step.
// params: $step_id, $department_id
// returns: one row per ownership removed (none when it was not an owner)
MATCH (s:JourneyStep {step_id: $step_id})-[o:OWNED_BY]->(d:Department {department_id: $department_id})
DELETE o
RETURN s.step_id AS step_id, d.department_id AS department_id
