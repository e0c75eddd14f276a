// Purchases in [$since, $until), the response a contact hopes for: touchpoints of kind
// purchase with a positive value whose outcome is not in $void_outcomes (cancelled, refunded).
// params: $since, $until, $void_outcomes
// returns: one row per purchase touchpoint: customer_id, at
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)
WHERE t.kind = 'purchase' AND t.value > 0 AND t.at >= $since AND t.at < $until
  AND NOT coalesce(t.outcome, '') IN $void_outcomes
RETURN c.customer_id AS customer_id, t.at AS at
