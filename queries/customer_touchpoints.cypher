// The customer's touchpoints, newest first, optionally filtered; one page of a keyset cursor
// (their campaign, step and department come from customer_touchpoint_campaigns / _steps /
// _departments for just these ids). Empty strings and the open bounds mean "no filter", so no
// parameter is ever null (LadybugDB cannot type a null parameter compared with a column).
// params: $customer_id, $limit, $channel ('' = any), $kind ('' = any),
//         $since, $until (at >= since, at < until),
//         $before_at, $before_id (the last row of the previous page; at = until and id = ''
//         for the first page)
// returns: one row per touchpoint
// The filters follow a WITH on purpose: as a WHERE on the MATCH, LadybugDB plans them before
// the customer lookup and the card's query took twice as long (bench/api.py, 1M customers).
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
WITH c, t
WHERE ($channel = '' OR t.channel = $channel) AND ($kind = '' OR t.kind = $kind)
  AND t.at >= $since AND t.at < $until
  AND (t.at < $before_at OR (t.at = $before_at AND t.touchpoint_id < $before_id))
RETURN t.touchpoint_id AS touchpoint_id, t.at AS at, t.channel AS channel, t.kind AS kind,
       t.value AS value, t.rating AS rating, t.rating_scale AS rating_scale,
       t.sentiment AS sentiment, t.text AS text, t.outcome AS outcome,
       t.resolution AS resolution, t.source AS source
ORDER BY at DESC, touchpoint_id DESC
LIMIT $limit
