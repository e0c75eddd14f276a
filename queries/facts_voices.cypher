// The facts projection's voices (graph360.facts): every touchpoint that says something -- a text
// of a voice kind (a ticket, a survey comment, a mention...), a sentiment from its source or a
// rating -- with its key, its text and both sentiments (the source's, and the one computed at
// load for a text without one: graph360.ingest.sentiment).
// h is the handle the touchpoint table names it by: its key, touchpoint_id (Neo4j).
// params: $kinds (the touchpoint kinds whose text is someone's words: VOICE_KINDS)
// returns: one row per such touchpoint: h, key, text, sentiment,
//          sentiment_computed, agent_id (who handled it, when the source says)
MATCH (t:Touchpoint)
WHERE (t.text IS NOT NULL AND t.kind IN $kinds) OR t.sentiment IS NOT NULL
   OR t.rating IS NOT NULL
RETURN t.touchpoint_id AS h, t.touchpoint_id AS key,
       CASE WHEN t.kind IN $kinds THEN t.text END AS text,
       t.sentiment AS sentiment, t.sentiment_computed AS sentiment_computed,
       t.agent_id AS agent_id
