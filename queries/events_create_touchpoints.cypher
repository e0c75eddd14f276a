// Create a group of new touchpoints from live events, each with its HAD from its customer and,
// where the event names one, its FROM_CAMPAIGN, AT_STEP, HANDLED_BY and FOR_PRODUCT
// (graph360.ingest.events): one UNWIND of the group's rows, every end found by its key. The
// caller has checked that every touchpoint is new and every end it names exists; a row whose
// customer is missing creates nothing, so the caller compares `created` with its rows. An end
// left null creates no relationship (FOREACH over an empty list).
// params: $rows (list of maps: customer_id, touchpoint_id, at, channel, kind, value, rating,
//         rating_scale, sentiment, text, outcome, resolution, source, record_key, attributes,
//         row_hash, sentiment_computed, sentiment_model, agent_id,
//         campaign_id, step_id, department_id, product_id)
// returns: one row: created (the touchpoints created)
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
CREATE (c)-[:HAD]->(t:Touchpoint {
  touchpoint_id: row.touchpoint_id, at: row.at, channel: row.channel, kind: row.kind,
  value: row.value, rating: row.rating, rating_scale: row.rating_scale,
  sentiment: row.sentiment, text: row.text, outcome: row.outcome,
  resolution: row.resolution, source: row.source, record_key: row.record_key,
  attributes: row.attributes, row_hash: row.row_hash, sentiment_computed: row.sentiment_computed,
  sentiment_model: row.sentiment_model, agent_id: row.agent_id
})
WITH t, row
OPTIONAL MATCH (m:Campaign {campaign_id: row.campaign_id})
FOREACH (x IN CASE WHEN m IS NULL THEN [] ELSE [m] END | CREATE (t)-[:FROM_CAMPAIGN]->(x))
WITH t, row
OPTIONAL MATCH (s:JourneyStep {step_id: row.step_id})
FOREACH (x IN CASE WHEN s IS NULL THEN [] ELSE [s] END | CREATE (t)-[:AT_STEP]->(x))
WITH t, row
OPTIONAL MATCH (d:Department {department_id: row.department_id})
FOREACH (x IN CASE WHEN d IS NULL THEN [] ELSE [d] END | CREATE (t)-[:HANDLED_BY]->(x))
WITH t, row
OPTIONAL MATCH (p:Product {product_id: row.product_id})
FOREACH (x IN CASE WHEN p IS NULL THEN [] ELSE [p] END | CREATE (t)-[:FOR_PRODUCT]->(x))
RETURN count(*) AS created
