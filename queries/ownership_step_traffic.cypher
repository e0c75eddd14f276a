// The traffic at each journey step, per channel: how many touchpoints, when, and their value
// in all and within [$since, $until) (the value window of the ownership audit).
// params: $since, $until
// returns: one row per (step, channel): step_id, channel, touchpoints, first_at, last_at,
//          value, window_value (values missing on a touchpoint count as 0)
MATCH (s:JourneyStep)<-[:AT_STEP]-(t:Touchpoint)
RETURN s.step_id AS step_id, t.channel AS channel, count(t) AS touchpoints,
       min(t.at) AS first_at, max(t.at) AS last_at, sum(coalesce(t.value, 0.0)) AS value,
       sum(CASE WHEN t.at >= $since AND t.at < $until THEN coalesce(t.value, 0.0) ELSE 0.0 END)
         AS window_value
ORDER BY step_id, channel
