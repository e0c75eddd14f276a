// Every customer's profile for cross-sell: the cell a customer falls in is its segment,
// persona and region (nulls are a cell value of their own).
// params: none
// returns: one row per customer: customer_id, segment, persona, region
MATCH (c:Customer)
RETURN c.customer_id AS customer_id, c.segment AS segment, c.persona AS persona,
       c.region AS region
