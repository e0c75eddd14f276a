// What an erasure of one customer would touch, counted (graph360.erasure, the retention dry
// run): source records, touchpoints, flags, actions, consents, relationships with other
// people, accounts held, campaign memberships.
// params: $customer_id
// returns: one row: records, touchpoints, flags, actions, consents, relationships, accounts,
//          memberships (none when there is no such customer)
MATCH (c:Customer {customer_id: $customer_id})
RETURN COUNT { MATCH (c)-[:IDENTIFIED_BY]->(:SourceRecord) } AS records,
       COUNT { MATCH (c)-[:HAD]->(:Touchpoint) } AS touchpoints,
       COUNT { MATCH (c)-[:FLAGGED]->(:Flag) } AS flags,
       COUNT { MATCH (c)-[:NEEDS]->(:Action) } AS actions,
       COUNT { MATCH (c)-[:CONSENTED]->(:Consent) } AS consents,
       COUNT { MATCH (c)-[:RELATED]-(:Customer) } AS relationships,
       COUNT { MATCH (c)-[:HOLDS]->(:Account) } AS accounts,
       COUNT { MATCH (:Campaign)-[:TARGETS]->(c) } AS memberships
