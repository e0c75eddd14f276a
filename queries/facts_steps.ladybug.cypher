// The facts projection's JourneyStep table (graph360.facts): every JourneyStep node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its offset in the node table (LadybugDB: dense integers, cheap to join).
// params: none
// returns: one row per JourneyStep: h, key, name, stage, position, journey_id
MATCH (s:JourneyStep)
RETURN offset(id(s)) AS h, s.step_id AS key, s.name AS name, s.stage AS stage,
       s.position AS position, s.journey_id AS journey_id
