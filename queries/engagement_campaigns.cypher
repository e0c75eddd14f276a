// Which department runs each campaign: the department of a send and of what answers it.
// params: none
// returns: one row per campaign run by a department: campaign_id, department_id
MATCH (k:Campaign)-[:RUN_BY]->(d:Department)
RETURN k.campaign_id AS campaign_id, d.department_id AS department_id
