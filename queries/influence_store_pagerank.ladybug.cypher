// Store customers' PageRank and the computation's time, by customer id: the rows whose rank,
// reach and community did not change (graph360.analytics.influence); one LOAD FROM of the
// Arrow table $rows, each row matched by the primary key.
// params: $rows (Arrow table: k customer_id, v_pagerank, v_at)
// returns: nothing
LOAD FROM $rows
MATCH (n:Customer {customer_id: k})
SET n.pagerank = v_pagerank, n.influence_at = v_at
