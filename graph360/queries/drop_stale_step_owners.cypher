// Remove the owners a bundle no longer lists for its journey steps: the bundle's owner list
// for a step replaces the one in the graph (the listed owners are then upserted).
// params: $step_ids (steps the bundle describes), $keep (their listed owners as "step_id|department_id")
// returns: nothing
UNWIND $step_ids AS step_id
MATCH (s:JourneyStep {step_id: step_id})-[o:OWNED_BY]->(d:Department)
WHERE NOT (s.step_id + '|' + d.department_id) IN $keep
DELETE o
