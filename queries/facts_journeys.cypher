// The facts projection's Journey table (graph360.facts): every Journey node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its key, journey_id (Neo4j has no dense node offsets).
// params: none
// returns: one row per Journey: h, name
MATCH (j:Journey)
RETURN j.journey_id AS h, j.name AS name
