// Who had bought from each department before $until: holders of an account the department
// manages (opened before $until, or with no opening date), and customers with a purchase
// (kind purchase, positive value, outcome not in $void_outcomes) that the department handled
// or that came from a campaign it runs.
// params: $until, $void_outcomes
// returns: one row per (customer, department) pair: customer_id, department_id
MATCH (c:Customer)-[:HOLDS]->(a:Account)-[:MANAGED_BY]->(d:Department)
WHERE a.opened_at IS NULL OR a.opened_at < $until
RETURN c.customer_id AS customer_id, d.department_id AS department_id
UNION
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)-[:HANDLED_BY]->(d:Department)
WHERE t.kind = 'purchase' AND t.value > 0 AND t.at < $until
  AND NOT coalesce(t.outcome, '') IN $void_outcomes
RETURN c.customer_id AS customer_id, d.department_id AS department_id
UNION
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)-[:FROM_CAMPAIGN]->(:Campaign)-[:RUN_BY]->(d:Department)
WHERE t.kind = 'purchase' AND t.value > 0 AND t.at < $until
  AND NOT coalesce(t.outcome, '') IN $void_outcomes
RETURN c.customer_id AS customer_id, d.department_id AS department_id
