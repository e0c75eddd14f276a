// Every relationship touching the given customers (the top influencers), in its stored
// direction, with both ends' stored PageRank so a capped view can keep the most influential.
// A relationship between two of the given customers comes once from each side.
// params: $ids (customer ids)
// returns: one row per (relationship, given end): source, target (customer ids as stored),
//          kind, weight (may be null), source_pagerank, target_pagerank (null until computed)
UNWIND $ids AS id
MATCH (a:Customer {customer_id: id})-[r:RELATED]->(b:Customer)
RETURN a.customer_id AS source, b.customer_id AS target, r.kind AS kind, r.weight AS weight,
       a.pagerank AS source_pagerank, b.pagerank AS target_pagerank
UNION ALL
UNWIND $ids AS id
MATCH (a:Customer)-[r:RELATED]->(b:Customer {customer_id: id})
RETURN a.customer_id AS source, b.customer_id AS target, r.kind AS kind, r.weight AS weight,
       a.pagerank AS source_pagerank, b.pagerank AS target_pagerank
