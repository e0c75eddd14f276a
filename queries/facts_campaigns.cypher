// The facts projection's Campaign table (graph360.facts): every Campaign node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its key, campaign_id (Neo4j has no dense node offsets).
// params: none
// returns: one row per Campaign: h, channel, started_at, ended_at
MATCH (k:Campaign)
RETURN k.campaign_id AS h, k.channel AS channel, k.started_at AS started_at,
       k.ended_at AS ended_at
