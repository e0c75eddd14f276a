// Store customers' PageRank and the computation's time, by customer id: the rows whose rank,
// reach and community did not change (graph360.analytics.influence); one batch of rows,
// Neo4j runs it a batch at a time inside one transaction.
// params: $rows (list of maps: customer_id, pagerank, influence_at)
// returns: nothing
UNWIND $rows AS row
MATCH (n:Customer {customer_id: row.customer_id})
SET n.pagerank = row.pagerank, n.influence_at = row.influence_at
