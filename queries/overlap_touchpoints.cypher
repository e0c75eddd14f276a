// Touchpoints attributed to a department in [$since, $until) that reached the person: those
// the department handled, and those from a campaign it runs. Touchpoints that did not reach
// anyone (kind in $not_reached_kinds, e.g. a bounce; outcome in $not_reached_outcomes, e.g. an
// unanswered call) are left out. contact is true on the row that says who made the contact:
// the handling department; the campaign's department only when nobody handled it.
// params: $since, $until, $not_reached_kinds, $not_reached_outcomes
// returns: one row per (touchpoint, department, route): customer_id, department_id, at, contact
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)-[:HANDLED_BY]->(d:Department)
WHERE t.at >= $since AND t.at < $until
  AND NOT coalesce(t.kind, '') IN $not_reached_kinds
  AND NOT coalesce(t.outcome, '') IN $not_reached_outcomes
RETURN c.customer_id AS customer_id, d.department_id AS department_id, t.at AS at,
       true AS contact
UNION ALL
MATCH (c:Customer)-[:HAD]->(t:Touchpoint)-[:FROM_CAMPAIGN]->(:Campaign)-[:RUN_BY]->(d:Department)
WHERE t.at >= $since AND t.at < $until
  AND NOT coalesce(t.kind, '') IN $not_reached_kinds
  AND NOT coalesce(t.outcome, '') IN $not_reached_outcomes
RETURN c.customer_id AS customer_id, d.department_id AS department_id, t.at AS at,
       NOT EXISTS { MATCH (t)-[:HANDLED_BY]->(:Department) } AS contact
