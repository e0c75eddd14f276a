// Every consent statement on one of these purposes, with its customer: what a suggestion
// folds to the effective status to know whom to leave out (graph360.consent.refusals).
// params: $purposes (list of purpose names)
// returns: one row per statement: customer_id, purpose, channel, status, at, source, history
MATCH (c:Customer)-[:CONSENTED]->(k:Consent)
WHERE k.purpose IN $purposes
RETURN c.customer_id AS customer_id, k.purpose AS purpose, k.channel AS channel,
       k.status AS status, k.at AS at, k.source AS source, k.history AS history
