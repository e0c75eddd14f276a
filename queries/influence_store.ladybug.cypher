// Store every customer's influence scores, by customer id (graph360.analytics.influence):
// one LOAD FROM of the Arrow table $rows, each row matched by the primary key.
// params: $rows (Arrow table: k customer_id, v_pagerank, v_rank, v_reach, v_community, v_at)
// returns: nothing
LOAD FROM $rows
MATCH (n:Customer {customer_id: k})
SET n.pagerank = v_pagerank, n.influence_rank = v_rank, n.reach = v_reach,
    n.community = v_community, n.influence_at = v_at
