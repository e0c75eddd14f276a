// The most influential people related to a customer, in each direction, leaving out those
// already drawn: the customer view's second hop reads a hub's few best, not its thousands.
// params: $customer_id, $exclude (customer ids), $limit (per direction)
// returns: at most $limit rows per direction, highest stored PageRank first (none last, then
//          by id): direction (out: this customer -> other), kind, weight, since, and the
//          other customer's id, name and pagerank; one person may come once from each side
MATCH (c:Customer {customer_id: $customer_id})-[r:RELATED]->(o:Customer)
WHERE NOT o.customer_id IN $exclude
RETURN 'out' AS direction, r.kind AS kind, r.weight AS weight, r.since AS since,
       o.customer_id AS customer_id, o.name AS name, o.pagerank AS pagerank
ORDER BY coalesce(pagerank, -1.0) DESC, customer_id
LIMIT $limit
UNION ALL
MATCH (c:Customer {customer_id: $customer_id})<-[r:RELATED]-(o:Customer)
WHERE NOT o.customer_id IN $exclude
RETURN 'in' AS direction, r.kind AS kind, r.weight AS weight, r.since AS since,
       o.customer_id AS customer_id, o.name AS name, o.pagerank AS pagerank
ORDER BY coalesce(pagerank, -1.0) DESC, customer_id
LIMIT $limit
