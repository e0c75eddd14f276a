// Store the computation's time on customers whose scores did not change, by customer id
// (graph360.analytics.influence); one batch of rows, Neo4j runs it a batch at a time inside
// one transaction.
// params: $rows (list of maps: customer_id, influence_at)
// returns: nothing
UNWIND $rows AS row
MATCH (n:Customer {customer_id: row.customer_id})
SET n.influence_at = row.influence_at
