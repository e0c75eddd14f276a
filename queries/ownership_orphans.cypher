// Orphan touchpoints: touchpoints mapped to no journey step, per channel and kind, with
// their value (missing values count as 0) and when they happened.
// params: none
// returns: one row per (channel, kind): channel, kind, touchpoints, value, first_at, last_at
MATCH (t:Touchpoint)
WHERE NOT EXISTS { MATCH (t)-[:AT_STEP]->(:JourneyStep) }
RETURN t.channel AS channel, t.kind AS kind, count(t) AS touchpoints,
       sum(coalesce(t.value, 0.0)) AS value, min(t.at) AS first_at, max(t.at) AS last_at
ORDER BY channel, kind
