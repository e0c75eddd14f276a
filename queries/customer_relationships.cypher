// The people the customer is related to, in both directions, most weighty first.
// params: $customer_id
// returns: one row per relationship: direction (out: this customer -> other), kind, weight,
//          since, and the other customer's id, name and influence score
MATCH (c:Customer {customer_id: $customer_id})-[r:RELATED]->(o:Customer)
RETURN 'out' AS direction, r.kind AS kind, r.weight AS weight, r.since AS since,
       o.customer_id AS customer_id, o.name AS name, o.pagerank AS pagerank
UNION ALL
MATCH (c:Customer {customer_id: $customer_id})<-[r:RELATED]-(o:Customer)
RETURN 'in' AS direction, r.kind AS kind, r.weight AS weight, r.since AS since,
       o.customer_id AS customer_id, o.name AS name, o.pagerank AS pagerank
