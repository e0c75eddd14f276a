// One customer's segment and the products they bought (purchases not voided): what a
// next-best offer for them starts from. A key lookup and a short walk.
// params: $customer_id, $kinds (purchase kinds), $void_outcomes (lower-case outcomes that void a purchase)
// returns: no row for an unknown customer; else one row per purchase (product_id null when
//          they bought nothing): segment, product_id
MATCH (c:Customer {customer_id: $customer_id})
OPTIONAL MATCH (c)-[:HAD]->(t:Touchpoint)-[:FOR_PRODUCT]->(p:Product)
WHERE t.kind IN $kinds AND (t.outcome IS NULL OR NOT toLower(t.outcome) IN $void_outcomes)
RETURN c.segment AS segment, p.product_id AS product_id
