// As engagement_touchpoints, with the department of each touchpoint: the handling one, else
// the one running its campaign (engagement --by department).
// params: $channels, $kinds, $since, $until (until exclusive)
// returns: one row per touchpoint: at, channel, kind, outcome, department_id (null if none)
MATCH (t:Touchpoint)
WHERE t.channel IN $channels AND t.kind IN $kinds AND t.at >= $since AND t.at < $until
OPTIONAL MATCH (t)-[:HANDLED_BY]->(d:Department)
OPTIONAL MATCH (t)-[:FROM_CAMPAIGN]->(:Campaign)-[:RUN_BY]->(r:Department)
RETURN t.at AS at, t.channel AS channel, t.kind AS kind, t.outcome AS outcome,
       coalesce(d.department_id, r.department_id) AS department_id
