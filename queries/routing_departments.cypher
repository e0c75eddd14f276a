// Every department, by id: candidates for the routing fallback and names for the report.
// params: none
// returns: one row per department: department_id, name
MATCH (d:Department)
RETURN d.department_id AS department_id, d.name AS name
ORDER BY department_id
