// How many nodes of each label and relationships of each type the facts projection reads:
// with the graph's version (meta_version) this tells a stored projection from a stale one even
// when a write did not bump the version (an insert or a delete changes a count; a changed
// property alone does not). Counts are kept by the engines: milliseconds at 10M rows.
// params: none
// returns: one row per label or type: name, n
MATCH (n:Customer) RETURN 'Customer' AS name, count(n) AS n
UNION ALL
MATCH (n:Department) RETURN 'Department' AS name, count(n) AS n
UNION ALL
MATCH (n:Campaign) RETURN 'Campaign' AS name, count(n) AS n
UNION ALL
MATCH (n:JourneyStep) RETURN 'JourneyStep' AS name, count(n) AS n
UNION ALL
MATCH (n:Journey) RETURN 'Journey' AS name, count(n) AS n
UNION ALL
MATCH (n:Product) RETURN 'Product' AS name, count(n) AS n
UNION ALL
MATCH (n:Account) RETURN 'Account' AS name, count(n) AS n
UNION ALL
MATCH (n:Touchpoint) RETURN 'Touchpoint' AS name, count(n) AS n
UNION ALL
MATCH (:Customer)-[r:HAD]->(:Touchpoint) RETURN 'HAD' AS name, count(r) AS n
UNION ALL
MATCH (:Touchpoint)-[r:HANDLED_BY]->(:Department) RETURN 'HANDLED_BY' AS name, count(r) AS n
UNION ALL
MATCH (:Touchpoint)-[r:FROM_CAMPAIGN]->(:Campaign) RETURN 'FROM_CAMPAIGN' AS name, count(r) AS n
UNION ALL
MATCH (:Touchpoint)-[r:AT_STEP]->(:JourneyStep) RETURN 'AT_STEP' AS name, count(r) AS n
UNION ALL
MATCH (:Touchpoint)-[r:FOR_PRODUCT]->(:Product) RETURN 'FOR_PRODUCT' AS name, count(r) AS n
UNION ALL
MATCH (:Campaign)-[r:RUN_BY]->(:Department) RETURN 'RUN_BY' AS name, count(r) AS n
UNION ALL
MATCH (:Campaign)-[r:TARGETS]->(:Customer) RETURN 'TARGETS' AS name, count(r) AS n
UNION ALL
MATCH (:Customer)-[r:RELATED]->(:Customer) RETURN 'RELATED' AS name, count(r) AS n
UNION ALL
MATCH (:Customer)-[r:HOLDS]->(:Account) RETURN 'HOLDS' AS name, count(r) AS n
UNION ALL
MATCH (:Account)-[r:MANAGED_BY]->(:Department) RETURN 'MANAGED_BY' AS name, count(r) AS n
UNION ALL
MATCH (:JourneyStep)-[r:OWNED_BY]->(:Department) RETURN 'OWNED_BY' AS name, count(r) AS n
UNION ALL
MATCH (:Journey)-[r:HAS_STEP]->(:JourneyStep) RETURN 'HAS_STEP' AS name, count(r) AS n
UNION ALL
MATCH (:JourneyStep)-[r:NEXT]->(:JourneyStep) RETURN 'NEXT' AS name, count(r) AS n
UNION ALL
MATCH (n:SourceRecord) RETURN 'SourceRecord' AS name, count(n) AS n
UNION ALL
MATCH (:Customer)-[r:IDENTIFIED_BY]->(:SourceRecord) RETURN 'IDENTIFIED_BY' AS name, count(r) AS n
