// Every journey and its steps with, one row each, the departments owning each step.
// params: none
// returns: one row per (journey, step, owner): journey_id, journey, step_id, step, stage,
//          position, department_id, department (the step's fields are null for a journey
//          with no steps; the department's are null when nobody owns the step)
MATCH (j:Journey)
OPTIONAL MATCH (j)-[:HAS_STEP]->(s:JourneyStep)
OPTIONAL MATCH (s)-[:OWNED_BY]->(d:Department)
RETURN j.journey_id AS journey_id, j.name AS journey, s.step_id AS step_id, s.name AS step,
       s.stage AS stage, s.position AS position, d.department_id AS department_id,
       d.name AS department
ORDER BY journey_id, position, step_id, department_id
