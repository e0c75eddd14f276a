// Every touchpoint of the customer that is at a journey step: the input for "where is this
// customer in each journey" (graph360.analytics.card.current_journey_steps picks the latest).
// A chain walked from the customer's key; an OPTIONAL MATCH here would be a hash join over
// every touchpoint in the graph (measured: 33 ms at 1M touchpoints, against 0.7 ms).
// params: $customer_id
// returns: one row per touchpoint at a step: journey_id, journey, step_id, step, position, at
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)-[:AT_STEP]->(s:JourneyStep)
MATCH (j:Journey)-[:HAS_STEP]->(s)
RETURN j.journey_id AS journey_id, j.name AS journey, s.step_id AS step_id, s.name AS step,
       s.position AS position, t.at AS at
