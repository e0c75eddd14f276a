// Who actually works each journey step: the department handling each touchpoint there or,
// for a touchpoint no department is recorded as handling, the department running its
// campaign. The audit infers a likely owner for a gap from it.
// params: none
// returns: one row per (step, department, via): step_id, department_id, department,
//          via ('handled' or 'campaign'), touchpoints
MATCH (s:JourneyStep)<-[:AT_STEP]-(t:Touchpoint)-[:HANDLED_BY]->(d:Department)
RETURN s.step_id AS step_id, d.department_id AS department_id, d.name AS department,
       'handled' AS via, count(t) AS touchpoints
UNION ALL
MATCH (s:JourneyStep)<-[:AT_STEP]-(t:Touchpoint)-[:FROM_CAMPAIGN]->(:Campaign)-[:RUN_BY]->(d:Department)
WHERE NOT EXISTS { MATCH (t)-[:HANDLED_BY]->(:Department) }
RETURN s.step_id AS step_id, d.department_id AS department_id, d.name AS department,
       'campaign' AS via, count(t) AS touchpoints
