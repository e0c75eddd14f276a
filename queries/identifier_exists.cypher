// Whether the e-mail/phone index holds this identifier (graph360.erasure counts the ones it
// drops).
// params: $key
// returns: key (no row when it is not indexed)
MATCH (i:Identifier {key: $key})
RETURN i.key AS key
