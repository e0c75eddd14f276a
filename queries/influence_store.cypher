// Store customers' influence scores, by customer id (graph360.analytics.influence): one batch
// of rows; Neo4j runs it a batch at a time inside one transaction.
// params: $rows (list of maps: customer_id, pagerank, influence_rank, reach, community,
//         influence_at)
// returns: nothing
UNWIND $rows AS row
MATCH (n:Customer {customer_id: row.customer_id})
SET n.pagerank = row.pagerank, n.influence_rank = row.influence_rank, n.reach = row.reach,
    n.community = row.community, n.influence_at = row.influence_at
