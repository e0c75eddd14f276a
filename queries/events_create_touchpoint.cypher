// Create one new touchpoint from a live event, with its HAD from its customer and, where the
// event names one, its FROM_CAMPAIGN, AT_STEP, HANDLED_BY and FOR_PRODUCT
// (graph360.ingest.lean): events_create_touchpoints for a group of one to a few. The caller
// has checked that the touchpoint is new and every end it names exists; a missing customer
// creates nothing, so the caller compares `created` with 1. A null end creates no
// relationship (FOREACH over an empty list).
// params: $customer_id, $touchpoint_id, $at, $channel, $kind, $value, $rating, $rating_scale,
//         $sentiment, $text, $outcome, $resolution, $source, $record_key, $attributes,
//         $row_hash, $sentiment_computed, $sentiment_model, $agent_id,
//         $campaign_id, $step_id, $department_id, $product_id
// returns: one row: created (1, or 0 when the customer is missing)
MATCH (c:Customer {customer_id: $customer_id})
CREATE (c)-[:HAD]->(t:Touchpoint {
  touchpoint_id: $touchpoint_id, at: $at, channel: $channel, kind: $kind, value: $value,
  rating: $rating, rating_scale: $rating_scale, sentiment: $sentiment, text: $text,
  outcome: $outcome, resolution: $resolution, source: $source, record_key: $record_key,
  attributes: $attributes, row_hash: $row_hash, sentiment_computed: $sentiment_computed,
  sentiment_model: $sentiment_model, agent_id: $agent_id
})
WITH t
OPTIONAL MATCH (m:Campaign {campaign_id: $campaign_id})
FOREACH (x IN CASE WHEN m IS NULL THEN [] ELSE [m] END | CREATE (t)-[:FROM_CAMPAIGN]->(x))
WITH t
OPTIONAL MATCH (s:JourneyStep {step_id: $step_id})
FOREACH (x IN CASE WHEN s IS NULL THEN [] ELSE [s] END | CREATE (t)-[:AT_STEP]->(x))
WITH t
OPTIONAL MATCH (d:Department {department_id: $department_id})
FOREACH (x IN CASE WHEN d IS NULL THEN [] ELSE [d] END | CREATE (t)-[:HANDLED_BY]->(x))
WITH t
OPTIONAL MATCH (p:Product {product_id: $product_id})
FOREACH (x IN CASE WHEN p IS NULL THEN [] ELSE [p] END | CREATE (t)-[:FOR_PRODUCT]->(x))
RETURN count(*) AS created
