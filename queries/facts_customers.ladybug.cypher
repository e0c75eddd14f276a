// The facts projection's Customer table (graph360.facts): every Customer node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its offset in the node table (LadybugDB: dense integers, cheap to join).
// params: none
// returns: one row per Customer: h, key, segment, persona, region
MATCH (c:Customer)
RETURN offset(id(c)) AS h, c.customer_id AS key, c.segment AS segment, c.persona AS persona,
       c.region AS region
