// The customer's most recent touchpoints, newest first, with where each happened.
// params: $customer_id, $limit
// returns: one row per touchpoint, with campaign, journey step and handling department
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
WITH t ORDER BY t.at DESC, t.touchpoint_id DESC LIMIT $limit
OPTIONAL MATCH (t)-[:FROM_CAMPAIGN]->(k:Campaign)
OPTIONAL MATCH (t)-[:AT_STEP]->(s:JourneyStep)
OPTIONAL MATCH (t)-[:HANDLED_BY]->(d:Department)
RETURN t.touchpoint_id AS touchpoint_id, t.at AS at, t.channel AS channel, t.kind AS kind,
       t.value AS value, t.rating AS rating, t.rating_scale AS rating_scale,
       t.sentiment AS sentiment, t.text AS text, t.outcome AS outcome,
       t.resolution AS resolution, t.source AS source, k.name AS campaign, s.name AS step,
       d.name AS department
ORDER BY at DESC, touchpoint_id DESC
