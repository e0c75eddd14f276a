// Where the customer is in each journey: the step of their latest touchpoint in it, with the
// departments owning that step (none: an ownership gap). Ties on time keep the further step.
// params: $customer_id
// returns: one row per journey the customer is in (several only when the latest time ties)
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)-[:AT_STEP]->(s:JourneyStep)
MATCH (j:Journey)-[:HAS_STEP]->(s)
WITH c, j, max(t.at) AS latest
MATCH (c)-[:HAD]->(t:Touchpoint)-[:AT_STEP]->(s:JourneyStep)<-[:HAS_STEP]-(j)
WHERE t.at = latest
OPTIONAL MATCH (s)-[:OWNED_BY]->(d:Department)
RETURN j.journey_id AS journey_id, j.name AS journey, s.step_id AS step_id, s.name AS step,
       s.position AS position, latest AS at, collect(d.name) AS owners
ORDER BY journey_id, position DESC
