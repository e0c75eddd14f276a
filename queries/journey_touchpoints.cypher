// The journey projection the funnel and the ownership audit compute on: every customer's
// touchpoints at the given journey steps within [$since, $until), as (customer, step, time).
// Kept this small on purpose (grouping is faster in pandas than here).
// params: $step_ids, $since, $until
// returns: one row per (customer, touchpoint) at one of the steps: customer_id, step_id, at
MATCH (s:JourneyStep)<-[:AT_STEP]-(t:Touchpoint)<-[:HAD]-(c:Customer)
WHERE s.step_id IN $step_ids AND t.at >= $since AND t.at < $until
RETURN c.customer_id AS customer_id, s.step_id AS step_id, t.at AS at
