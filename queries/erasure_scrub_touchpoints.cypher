// Remove the free text of every touchpoint of one customer, keeping what journeys, funnels
// and counts read (time, channel, kind, step, department, value, rating) (graph360.erasure,
// mode anonymise), and which of their source records each named.
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
SET t.text = NULL, t.resolution = NULL, t.attributes = NULL, t.record_key = NULL
