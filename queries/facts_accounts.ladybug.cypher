// The facts projection's Account table (graph360.facts): every Account node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its offset in the node table (LadybugDB: dense integers, cheap to join).
// params: none
// returns: one row per Account: h, key, kind, status, opened_at, value
MATCH (a:Account)
RETURN offset(id(a)) AS h, a.account_id AS key, a.kind AS kind, a.status AS status,
       a.opened_at AS opened_at, a.value AS value
