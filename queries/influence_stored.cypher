// The influence results stored on Customer nodes, best rank first: what the views and the
// API read without recomputing.
// params: $limit
// returns: one row per ranked customer (at most $limit): customer_id, name, pagerank,
//          influence_rank, reach, community, influence_at
MATCH (c:Customer)
WHERE c.influence_rank IS NOT NULL
RETURN c.customer_id AS customer_id, c.name AS name, c.pagerank AS pagerank,
       c.influence_rank AS influence_rank, c.reach AS reach, c.community AS community,
       c.influence_at AS influence_at
ORDER BY influence_rank
LIMIT $limit
