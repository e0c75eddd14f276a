// When people did what: one row per touchpoint of the given channels and kinds in a period,
// with its outcome (a call's result), and nothing else (the cheap projection for activity).
// params: $channels, $kinds, $since, $until (until exclusive)
// returns: one row per touchpoint: at, channel, kind, outcome
MATCH (t:Touchpoint)
WHERE t.channel IN $channels AND t.kind IN $kinds AND t.at >= $since AND t.at < $until
RETURN t.at AS at, t.channel AS channel, t.kind AS kind, t.outcome AS outcome
