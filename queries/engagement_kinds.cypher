// What the touchpoints in a period are, per channel and kind: the inventory that tells which
// channels send (deliveries) and which only record what people do.
// params: $since, $until (touchpoint time bounds, until exclusive)
// returns: one row per (channel, kind): channel, kind, touchpoints
MATCH (t:Touchpoint)
WHERE t.at >= $since AND t.at < $until
RETURN t.channel AS channel, t.kind AS kind, count(*) AS touchpoints
ORDER BY channel, kind
