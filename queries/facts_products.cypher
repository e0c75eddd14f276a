// The facts projection's Product table (graph360.facts): every Product node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its key, product_id (Neo4j has no dense node offsets).
// params: none
// returns: one row per Product: h, name, category
MATCH (p:Product)
RETURN p.product_id AS h, p.name AS name, p.category AS category
