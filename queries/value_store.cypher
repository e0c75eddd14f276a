// Store customers' value scores, by customer id (graph360.analytics.value): one batch of rows;
// Neo4j runs it a batch at a time inside one transaction.
// params: $rows (list of maps: customer_id, current_value, potential_value, at_risk, value_at)
// returns: nothing
UNWIND $rows AS row
MATCH (n:Customer {customer_id: row.customer_id})
SET n.current_value = row.current_value, n.potential_value = row.potential_value,
    n.at_risk = row.at_risk, n.value_at = row.value_at
