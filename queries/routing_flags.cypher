// The flags the rules manage (of the given kinds), with their customer and status: what the
// rules compare their fresh verdicts with to count raised, kept and resolved flags.
// params: $kinds (flag kinds)
// returns: one row per flag: flag_id, customer_id, kind, severity, status, raised_at, reason
//          (a kept flag whose reason is unchanged is not written again)
MATCH (c:Customer)-[:FLAGGED]->(f:Flag)
WHERE f.kind IN $kinds
RETURN f.flag_id AS flag_id, c.customer_id AS customer_id, f.kind AS kind,
       f.severity AS severity, f.status AS status, f.raised_at AS raised_at,
       f.reason AS reason
