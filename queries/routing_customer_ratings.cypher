// routing_ratings for one customer, walking from the customer's key (a scoped run of the rules).
// params: $customer_id
// returns: one row per rated touchpoint of the customer (and step, when it sits at several):
//          customer_id, touchpoint_id, at, kind, rating, rating_scale, step_id (null: no
//          step), step (the step's name)
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
WHERE t.rating IS NOT NULL
OPTIONAL MATCH (t)-[:AT_STEP]->(s:JourneyStep)
RETURN c.customer_id AS customer_id, t.touchpoint_id AS touchpoint_id, t.at AS at,
       t.kind AS kind, t.rating AS rating, t.rating_scale AS rating_scale,
       s.step_id AS step_id, s.name AS step
