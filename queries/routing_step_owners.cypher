// Who owns each journey step: one row per (step, owning department); unowned steps have none.
// params: none
// returns: one row per OWNED_BY: step_id, department_id
MATCH (s:JourneyStep)-[:OWNED_BY]->(d:Department)
RETURN s.step_id AS step_id, d.department_id AS department_id
ORDER BY step_id, department_id
