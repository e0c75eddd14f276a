// Every customer's stored influence scores (null until computed): what a new computation is
// compared with, so only the scores that changed are written (graph360.analytics.influence).
// params: none
// returns: one row per customer: customer_id, pagerank, influence_rank, reach, community
MATCH (c:Customer)
RETURN c.customer_id AS customer_id, c.pagerank AS pagerank,
       c.influence_rank AS influence_rank, c.reach AS reach, c.community AS community
