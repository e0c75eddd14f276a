// The birth dates each of these customers' records give: a probabilistic pair whose customers'
// birth dates clearly disagree is reviewed, never merged on its own (graph360.matching).
// params: $customer_ids
// returns: one row per record of those customers that gives a birth date: customer_id,
//          birth_date
UNWIND $customer_ids AS k
MATCH (c:Customer {customer_id: k})-[:IDENTIFIED_BY]->(r:SourceRecord)
WHERE r.birth_date IS NOT NULL
RETURN c.customer_id AS customer_id, r.birth_date AS birth_date
