// The customer's most recent touchpoints, newest first (their campaign, step and department
// come from customer_touchpoint_campaigns / _steps / _departments for just these ids).
// params: $customer_id, $limit
// returns: one row per touchpoint
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
RETURN t.touchpoint_id AS touchpoint_id, t.at AS at, t.channel AS channel, t.kind AS kind,
       t.value AS value, t.rating AS rating, t.rating_scale AS rating_scale,
       t.sentiment AS sentiment, t.text AS text, t.outcome AS outcome,
       t.resolution AS resolution, t.source AS source
ORDER BY at DESC, touchpoint_id DESC
LIMIT $limit
