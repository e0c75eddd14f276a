// The customer node itself: who they are, and the scores the analytics stored on it.
// params: $customer_id
// returns: at most one row with the customer's properties
MATCH (c:Customer {customer_id: $customer_id})
RETURN c.customer_id AS customer_id, c.name AS name, c.email AS email, c.phone AS phone,
       c.gender AS gender, c.birth_date AS birth_date, c.city AS city, c.region AS region,
       c.country AS country, c.segment AS segment, c.persona AS persona,
       c.lifecycle_stage AS lifecycle_stage, c.created_at AS created_at,
       c.pagerank AS pagerank, c.influence_rank AS influence_rank, c.reach AS reach,
       c.community AS community, c.influence_at AS influence_at,
       c.current_value AS current_value, c.potential_value AS potential_value,
       c.at_risk AS at_risk, c.value_at AS value_at, c.attributes AS attributes
