// The facts projection's Campaign table (graph360.facts): every Campaign node with the
// properties the analytics read. h is the handle the relationship queries name it by:
// its offset in the node table (LadybugDB: dense integers, cheap to join).
// params: none
// returns: one row per Campaign: h, key, channel, started_at, ended_at
MATCH (k:Campaign)
RETURN offset(id(k)) AS h, k.campaign_id AS key, k.channel AS channel,
       k.started_at AS started_at, k.ended_at AS ended_at
