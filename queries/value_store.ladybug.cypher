// Store every customer's value scores, by customer id (graph360.analytics.value): one
// LOAD FROM of the Arrow table $rows, each row matched by the primary key (no lookup of which
// keys exist first: the scored customers are the graph's own).
// params: $rows (Arrow table: k customer_id, v_current, v_potential, v_risk, v_at)
// returns: nothing
LOAD FROM $rows
MATCH (n:Customer {customer_id: k})
SET n.current_value = v_current, n.potential_value = v_potential, n.at_risk = v_risk,
    n.value_at = v_at
