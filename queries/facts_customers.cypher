// The facts projection's Customer table (graph360.facts): every Customer node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its key, customer_id (Neo4j has no dense node offsets).
// params: none
// returns: one row per Customer: h, segment, persona, region
MATCH (c:Customer)
RETURN c.customer_id AS h, c.segment AS segment, c.persona AS persona, c.region AS region
