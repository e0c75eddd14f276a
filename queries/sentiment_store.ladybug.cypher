// Store computed sentiment on touchpoints by id (`graph360 sentiment`): one LOAD FROM of the
// Arrow table $rows, each row matched by the primary key. The source's sentiment is not
// touched.
// params: $rows (Arrow table: k touchpoint_id, v_score, v_model)
// returns: nothing
LOAD FROM $rows
MATCH (t:Touchpoint {touchpoint_id: k})
SET t.sentiment_computed = v_score, t.sentiment_model = v_model
