// The facts projection's Touchpoint table (graph360.facts): every Touchpoint node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its offset in the node table (LadybugDB: dense integers, cheap to join) (no key: 10M strings would cost seconds;
// the few the analytics show are looked up by key).
// params: none
// returns: one row per Touchpoint: h, at, channel, kind, outcome, value, rating, rating_scale, source
MATCH (t:Touchpoint)
RETURN offset(id(t)) AS h, t.at AS at, t.channel AS channel, t.kind AS kind,
       t.outcome AS outcome, t.value AS value, t.rating AS rating,
       t.rating_scale AS rating_scale, t.source AS source
