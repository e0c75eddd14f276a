// Every touchpoint of one customer with all its properties and what it links to: the
// person's export (graph360.export_person).
// params: $customer_id
// returns: one row per touchpoint, oldest first: its properties, campaign_id, step_id,
//          department_id, product_id
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
OPTIONAL MATCH (t)-[:FROM_CAMPAIGN]->(k:Campaign)
OPTIONAL MATCH (t)-[:AT_STEP]->(s:JourneyStep)
OPTIONAL MATCH (t)-[:HANDLED_BY]->(d:Department)
OPTIONAL MATCH (t)-[:FOR_PRODUCT]->(p:Product)
RETURN t.touchpoint_id AS touchpoint_id, t.at AS at, t.channel AS channel, t.kind AS kind,
       t.value AS value, t.rating AS rating, t.rating_scale AS rating_scale,
       t.sentiment AS sentiment, t.sentiment_computed AS sentiment_computed,
       t.sentiment_model AS sentiment_model, t.agent_id AS agent_id, t.text AS text, t.outcome AS outcome,
       t.resolution AS resolution, t.source AS source, t.attributes AS attributes,
       t.record_key AS record_key,
       k.campaign_id AS campaign_id, s.step_id AS step_id, d.department_id AS department_id,
       p.product_id AS product_id
ORDER BY at, touchpoint_id
