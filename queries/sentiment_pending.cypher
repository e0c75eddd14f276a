// The touchpoints a load before computed sentiment left unscored (graph360.ingest.sentiment,
// `graph360 sentiment`): a voice kind, a text, no sentiment from the source, none computed.
// params: $kinds (the voice kinds: VOICE_KINDS)
// returns: one row per such touchpoint: touchpoint_id, kind, text
MATCH (t:Touchpoint)
WHERE t.kind IN $kinds AND t.text IS NOT NULL AND t.sentiment IS NULL
  AND t.sentiment_computed IS NULL
RETURN t.touchpoint_id AS touchpoint_id, t.kind AS kind, t.text AS text
ORDER BY touchpoint_id
