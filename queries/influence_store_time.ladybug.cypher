// Store the computation's time on customers whose scores did not change, by customer id
// (graph360.analytics.influence); one LOAD FROM of the Arrow table $rows, each row matched by
// the primary key.
// params: $rows (Arrow table: k customer_id, v_at)
// returns: nothing
LOAD FROM $rows
MATCH (n:Customer {customer_id: k})
SET n.influence_at = v_at
