// Who bought which product (purchases not voided), with the buyer's segment: the co-purchase
// structure next-best offers are built from.
// params: $kinds (purchase kinds), $void_outcomes (lower-case outcomes that void a purchase)
// returns: one row per distinct (customer, product): customer_id, segment, product_id
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)-[:FOR_PRODUCT]->(p:Product)
WHERE t.kind IN $kinds AND (t.outcome IS NULL OR NOT toLower(t.outcome) IN $void_outcomes)
RETURN DISTINCT c.customer_id AS customer_id, c.segment AS segment, p.product_id AS product_id
