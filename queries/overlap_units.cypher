// Every department with its division: the units overlap, collisions and cross-sell count by.
// params: none
// returns: one row per department: department_id, name, division (either may be null)
MATCH (d:Department)
RETURN d.department_id AS department_id, d.name AS name, d.division AS division
ORDER BY department_id
