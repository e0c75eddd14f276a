// The facts projection's Department table (graph360.facts): every Department node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its key, department_id (Neo4j has no dense node offsets).
// params: none
// returns: one row per Department: h, name, division
MATCH (d:Department)
RETURN d.department_id AS h, d.name AS name, d.division AS division
