// One journey step with its journey and owning departments.
// params: $step_id
// returns: one row per owner (department_id and department null when unowned); none when
//          there is no such step
MATCH (s:JourneyStep {step_id: $step_id})
OPTIONAL MATCH (j:Journey)-[:HAS_STEP]->(s)
OPTIONAL MATCH (s)-[:OWNED_BY]->(d:Department)
RETURN s.step_id AS step_id, s.name AS step, s.stage AS stage, s.position AS position,
       j.journey_id AS journey_id, j.name AS journey,
       d.department_id AS department_id, d.name AS department
ORDER BY department_id
