// One customer's touchpoints as the "what they are not saying" rules read them
// (graph360.analytics.silence.customer_silence, the 360 card): kind, time, text, rating,
// both sentiments, and whether a department handled it.
// params: $customer_id
// returns: one row per touchpoint: touchpoint_id, at, kind, text, rating, rating_scale,
//          sentiment, computed (sentiment_computed), handled (true when HANDLED_BY exists)
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
OPTIONAL MATCH (t)-[:HANDLED_BY]->(d:Department)
WITH t, count(d) AS handlers
RETURN t.touchpoint_id AS touchpoint_id, t.at AS at, t.kind AS kind, t.text AS text,
       t.rating AS rating, t.rating_scale AS rating_scale, t.sentiment AS sentiment,
       t.sentiment_computed AS computed, handlers > 0 AS handled
ORDER BY at, touchpoint_id
