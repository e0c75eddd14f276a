// The facts projection's Journey table (graph360.facts): every Journey node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its offset in the node table (LadybugDB: dense integers, cheap to join).
// params: none
// returns: one row per Journey: h, key, name
MATCH (j:Journey)
RETURN offset(id(j)) AS h, j.journey_id AS key, j.name AS name
