// Store computed sentiment on touchpoints by id (`graph360 sentiment`): one batch of rows;
// Neo4j runs it a batch at a time inside one transaction. The source's sentiment is not
// touched.
// params: $rows (list of maps: touchpoint_id, sentiment_computed, sentiment_model)
// returns: nothing
UNWIND $rows AS row
MATCH (t:Touchpoint {touchpoint_id: row.touchpoint_id})
SET t.sentiment_computed = row.sentiment_computed, t.sentiment_model = row.sentiment_model
