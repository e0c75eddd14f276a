// A customer's relationships with the given people only: the lines between people the
// customer view already draws, read without the rest of a hub's relationships.
// params: $customer_id, $ids (customer ids)
// returns: one row per relationship: direction (out: this customer -> other), kind, weight,
//          since, and the other customer's id, name and pagerank
MATCH (c:Customer {customer_id: $customer_id})-[r:RELATED]->(o:Customer)
WHERE o.customer_id IN $ids
RETURN 'out' AS direction, r.kind AS kind, r.weight AS weight, r.since AS since,
       o.customer_id AS customer_id, o.name AS name, o.pagerank AS pagerank
UNION ALL
MATCH (c:Customer {customer_id: $customer_id})<-[r:RELATED]-(o:Customer)
WHERE o.customer_id IN $ids
RETURN 'in' AS direction, r.kind AS kind, r.weight AS weight, r.since AS since,
       o.customer_id AS customer_id, o.name AS name, o.pagerank AS pagerank
