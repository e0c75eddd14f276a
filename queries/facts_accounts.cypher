// The facts projection's Account table (graph360.facts): every Account node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its key, account_id (Neo4j has no dense node offsets).
// params: none
// returns: one row per Account: h, kind, status, opened_at, value
MATCH (a:Account)
RETURN a.account_id AS h, a.kind AS kind, a.status AS status, a.opened_at AS opened_at,
       a.value AS value
