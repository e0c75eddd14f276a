// The facts projection's JourneyStep table (graph360.facts): every JourneyStep node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its key, step_id (Neo4j has no dense node offsets).
// params: none
// returns: one row per JourneyStep: h, name, stage, position, journey_id
MATCH (s:JourneyStep)
RETURN s.step_id AS h, s.name AS name, s.stage AS stage, s.position AS position,
       s.journey_id AS journey_id
