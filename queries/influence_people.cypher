// The given customers with their stored influence results (for the influence view's nodes).
// params: $ids (customer ids)
// returns: one row per customer found: customer_id, name, segment, pagerank, influence_rank,
//          reach, community, influence_at (the influence fields are null until computed)
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN c.customer_id AS customer_id, c.name AS name, c.segment AS segment,
       c.pagerank AS pagerank, c.influence_rank AS influence_rank, c.reach AS reach,
       c.community AS community, c.influence_at AS influence_at
