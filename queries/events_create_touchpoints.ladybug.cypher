// Create a group of new touchpoints from live events, each with its HAD from its customer and,
// where the event names one, its FROM_CAMPAIGN, AT_STEP, HANDLED_BY and FOR_PRODUCT
// (graph360.ingest.events): one LOAD FROM of an Arrow table, every end found by its primary
// key. The caller has checked that every touchpoint is new and every end it names exists; a row
// whose customer is missing creates nothing, so the caller compares `created` with its rows.
// An end left null creates no relationship (LadybugDB skips CREATE for a null OPTIONAL MATCH).
// params: $rows (Arrow table: customer_id (the customer), touchpoint_id, at, channel, kind, value, rating,
//         rating_scale, sentiment, text, outcome, resolution, source, record_key, attributes,
//         row_hash, sentiment_computed, sentiment_model, agent_id,
//         campaign_id, step_id, department_id, product_id)
// returns: one row: created (the touchpoints created)
LOAD FROM $rows
MATCH (c:Customer {customer_id: customer_id})
CREATE (c)-[:HAD]->(t:Touchpoint {
  touchpoint_id: touchpoint_id, at: at, channel: channel, kind: kind, value: value,
  rating: rating, rating_scale: rating_scale, sentiment: sentiment, text: text,
  outcome: outcome, resolution: resolution, source: source, record_key: record_key,
  attributes: attributes, row_hash: row_hash, sentiment_computed: sentiment_computed,
  sentiment_model: sentiment_model, agent_id: agent_id
})
WITH t, campaign_id, step_id, department_id, product_id
OPTIONAL MATCH (m:Campaign {campaign_id: campaign_id})
CREATE (t)-[:FROM_CAMPAIGN]->(m)
WITH t, step_id, department_id, product_id
OPTIONAL MATCH (s:JourneyStep {step_id: step_id})
CREATE (t)-[:AT_STEP]->(s)
WITH t, department_id, product_id
OPTIONAL MATCH (d:Department {department_id: department_id})
CREATE (t)-[:HANDLED_BY]->(d)
WITH t, product_id
OPTIONAL MATCH (p:Product {product_id: product_id})
CREATE (t)-[:FOR_PRODUCT]->(p)
RETURN count(*) AS created
