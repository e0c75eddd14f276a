// The ids of the customer's touchpoints at exactly one time: a page cursor names its last
// touchpoint by its time and a keyed digest of its id (an id can be an e-mail address), and
// this turns the digest back into the id.
// params: $customer_id, $at
// returns: touchpoint_id, one row per touchpoint at that time
MATCH (c:Customer {customer_id: $customer_id})-[:HAD]->(t:Touchpoint)
WITH t
WHERE t.at = $at
RETURN t.touchpoint_id AS touchpoint_id
ORDER BY touchpoint_id
