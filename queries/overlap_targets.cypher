// Which customers each department's campaigns targeted in a period (the distribution lists).
// A target is placed in time by its added_at, or by the campaign's started_at when added_at
// is empty; a target with neither counts only when $undated is true (no period asked for).
// params: $since, $until, $undated
// returns: one row per (customer, department) pair: customer_id, department_id
MATCH (k:Campaign)-[m:TARGETS]->(c:Customer)
MATCH (k)-[:RUN_BY]->(d:Department)
WITH c, d, coalesce(m.added_at, k.started_at) AS at
WHERE (at >= $since AND at < $until) OR ($undated AND at IS NULL)
RETURN DISTINCT c.customer_id AS customer_id, d.department_id AS department_id
