// Every rated touchpoint with its customer and the journey step it happened at (if any):
// the input of the poor-rating and promoter rules and of the at-risk score.
// params: none
// returns: one row per rated touchpoint (and step, when a touchpoint sits at several):
//          customer_id, touchpoint_id, at, kind, rating, rating_scale, step_id (null: no step),
//          step (the step's name)
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)
WHERE t.rating IS NOT NULL
OPTIONAL MATCH (t)-[:AT_STEP]->(s:JourneyStep)
RETURN c.customer_id AS customer_id, t.touchpoint_id AS touchpoint_id, t.at AS at,
       t.kind AS kind, t.rating AS rating, t.rating_scale AS rating_scale,
       s.step_id AS step_id, s.name AS step
