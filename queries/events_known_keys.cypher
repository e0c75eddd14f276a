// Which of the keys one live event names the graph holds (graph360.ingest.lean): its
// touchpoint (already recorded?) and the campaign, journey step, department and product it
// refers to. Each is a primary-key probe (~0.1 ms at 1M/10M, against ~1.2 ms for the store's
// LOAD FROM look-up of a list of keys), so a group of a few events asks once per event. A key
// left null is not looked for.
// params: $touchpoint_id, $campaign_id, $step_id, $department_id, $product_id
// returns: one row: touchpoint_id, campaign_id, step_id, department_id, product_id (each the
//          key when the graph holds it, else null)
OPTIONAL MATCH (t:Touchpoint {touchpoint_id: $touchpoint_id})
OPTIONAL MATCH (m:Campaign {campaign_id: $campaign_id})
OPTIONAL MATCH (s:JourneyStep {step_id: $step_id})
OPTIONAL MATCH (d:Department {department_id: $department_id})
OPTIONAL MATCH (p:Product {product_id: $product_id})
RETURN t.touchpoint_id AS touchpoint_id, m.campaign_id AS campaign_id, s.step_id AS step_id,
       d.department_id AS department_id, p.product_id AS product_id
