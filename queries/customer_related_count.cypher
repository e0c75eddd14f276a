// How many people a customer is related to (either direction), leaving out the given ones:
// the "+N more" of the customer view's second hop.
// params: $customer_id, $exclude (customer ids)
// returns: one row: people
MATCH (c:Customer {customer_id: $customer_id})-[:RELATED]-(o:Customer)
WHERE NOT o.customer_id IN $exclude
RETURN count(DISTINCT o.customer_id) AS people
