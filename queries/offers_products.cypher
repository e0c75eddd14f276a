// Every product with its name and category (what an offer shows).
// params: none
// returns: one row per product: product_id, name, category
MATCH (p:Product)
RETURN p.product_id AS product_id, p.name AS name, p.category AS category
ORDER BY product_id
