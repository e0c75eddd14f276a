// The facts projection's Department table (graph360.facts): every Department node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its offset in the node table (LadybugDB: dense integers, cheap to join).
// params: none
// returns: one row per Department: h, key, name, division
MATCH (d:Department)
RETURN offset(id(d)) AS h, d.department_id AS key, d.name AS name, d.division AS division
