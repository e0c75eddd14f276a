// The accounts the customer holds, with their role and the department managing each.
// params: $customer_id
// returns: one row per account
MATCH (c:Customer {customer_id: $customer_id})-[h:HOLDS]->(a:Account)
OPTIONAL MATCH (a)-[:MANAGED_BY]->(d:Department)
RETURN a.account_id AS account_id, a.name AS name, a.kind AS kind, a.status AS status,
       a.plan AS plan, a.opened_at AS opened_at, a.value AS value, h.role AS role,
       d.department_id AS department_id, d.name AS department
ORDER BY account_id
