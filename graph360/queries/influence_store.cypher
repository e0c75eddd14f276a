// Store customers' influence scores, by customer id (graph360.analytics.influence): one batch
// of rows; Neo4j runs it a batch at a time inside one transaction.
// params: $rows (list of maps: k customer_id, v_pagerank, v_rank, v_reach, v_community, v_at)
// returns: nothing
UNWIND $rows AS row
MATCH (n:Customer {customer_id: row.k})
SET n.pagerank = row.v_pagerank, n.influence_rank = row.v_rank, n.reach = row.v_reach,
    n.community = row.v_community, n.influence_at = row.v_at
