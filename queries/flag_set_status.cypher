// Open or resolve a flag by hand.
// params: $flag_id, $status ('open' or 'resolved')
// returns: the flag with its customer (none when there is no such flag)
MATCH (c:Customer)-[:FLAGGED]->(f:Flag {flag_id: $flag_id})
SET f.status = $status
RETURN f.flag_id AS flag_id, c.customer_id AS customer_id, f.kind AS kind,
       f.severity AS severity, f.reason AS reason, f.raised_at AS raised_at, f.status AS status
