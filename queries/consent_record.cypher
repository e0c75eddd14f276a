// Record one consent statement (graph360.consent.record): the source's statement on this
// customer, purpose and channel is created or replaced (the caller passes the history with
// the replaced statement in front) and linked from the customer.
// params: $customer_id, $consent_id, $purpose, $channel, $status, $at, $source, $history
// returns: consent_id
MATCH (c:Customer {customer_id: $customer_id})
MERGE (k:Consent {consent_id: $consent_id})
SET k.purpose = $purpose, k.channel = $channel, k.status = $status, k.at = $at,
    k.source = $source, k.history = $history
MERGE (c)-[:CONSENTED]->(k)
RETURN k.consent_id AS consent_id
