// The value each customer's touchpoints at each journey step carry within [$since, $until):
// the audit subtracts what stuck customers spent at their own step, so that the value at
// stake counts no touchpoint twice.
// params: $since, $until
// returns: one row per (customer, step) with a valued touchpoint: customer_id, step_id, value
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)-[:AT_STEP]->(s:JourneyStep)
WHERE t.at >= $since AND t.at < $until AND t.value IS NOT NULL
RETURN c.customer_id AS customer_id, s.step_id AS step_id, sum(t.value) AS value
