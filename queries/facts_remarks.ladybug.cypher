// The facts projection's remarks (graph360.facts): the few touchpoints the rules and the value
// scores name one by one -- every rated touchpoint and every complaint -- with their key and
// the complaint's text and resolution (ten million keys and texts for all would cost seconds).
// h is the handle the touchpoint table names it by: its offset in the node table (LadybugDB).
// params: $kinds (the touchpoint kinds that are complaints)
// returns: one row per rated or complaint touchpoint: h, key, text, resolution
MATCH (t:Touchpoint)
WHERE t.rating IS NOT NULL OR t.kind IN $kinds
RETURN offset(id(t)) AS h, t.touchpoint_id AS key, t.text AS text,
       t.resolution AS resolution
