// The facts projection's Product table (graph360.facts): every Product node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its offset in the node table (LadybugDB: dense integers, cheap to join).
// params: none
// returns: one row per Product: h, key, name, category
MATCH (p:Product)
RETURN offset(id(p)) AS h, p.product_id AS key, p.name AS name, p.category AS category
