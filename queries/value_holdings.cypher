// Every account holding with what the value analytics need: the account's status, value
// and opening date, and the holder's role (who pays for a shared account).
// params: none
// returns: one row per (customer, account) holding: customer_id, account_id, status, value,
//          opened_at, role
MATCH (c:Customer)-[h:HOLDS]->(a:Account)
RETURN c.customer_id AS customer_id, a.account_id AS account_id, a.status AS status,
       a.value AS value, a.opened_at AS opened_at, h.role AS role
