// One page of customers in id order, filtered by name, segment and open flags (a keyset
// cursor: the ids after $after). Empty strings mean "no filter" (no parameter is ever null).
// params: $search (lower-case text the name contains, when $by_name; '' = any customer),
//         $exact (a customer id that matches too, as given),
//         $segment ('' = any), $flagged ('' = any customer, 'any' = with an open flag,
//         or a severity: red / amber / green), $after ('' for the first page), $limit
// returns: one row per customer: customer_id, name, segment, lifecycle_stage, city, country,
//          current_value, influence_rank
MATCH (c:Customer)
WHERE c.customer_id > $after
  AND ($search = '' OR ($by_name AND lower(c.name) CONTAINS $search) OR c.customer_id = $exact)
  AND ($segment = '' OR c.segment = $segment)
  AND ($flagged = '' OR EXISTS {
        MATCH (c)-[:FLAGGED]->(f:Flag)
        WHERE f.status = 'open' AND ($flagged = 'any' OR f.severity = $flagged)
      })
RETURN c.customer_id AS customer_id, c.name AS name, c.segment AS segment,
       c.lifecycle_stage AS lifecycle_stage, c.city AS city, c.country AS country,
       c.current_value AS current_value, c.influence_rank AS influence_rank
ORDER BY customer_id
LIMIT $limit
