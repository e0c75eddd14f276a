// The sends that responses are attributed to, and the touchpoints that answer them (opens,
// clicks, bounces): who, when, what, and the campaign (an open answers the same campaign's
// send).
// params: $channels, $kinds, $since, $until (until exclusive)
// returns: one row per touchpoint: customer_id, at, channel, kind, campaign_id (null if none)
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)
WHERE t.channel IN $channels AND t.kind IN $kinds AND t.at >= $since AND t.at < $until
OPTIONAL MATCH (t)-[:FROM_CAMPAIGN]->(k:Campaign)
RETURN c.customer_id AS customer_id, t.at AS at, t.channel AS channel, t.kind AS kind,
       k.campaign_id AS campaign_id
