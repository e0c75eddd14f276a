// Every purchase up to a moment, for value and RFM: touchpoints of the purchase kinds that
// carry a value, except those whose outcome voids them (refunded, cancelled, ...).
// params: $kinds (purchase kinds), $void_outcomes (lower-case outcomes that void a purchase), $until
// returns: one row per purchase touchpoint: customer_id, at, value
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)
WHERE t.kind IN $kinds AND t.value IS NOT NULL AND t.at <= $until
  AND (t.outcome IS NULL OR NOT toLower(t.outcome) IN $void_outcomes)
RETURN c.customer_id AS customer_id, t.at AS at, t.value AS value
