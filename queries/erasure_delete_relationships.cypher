// Delete the relationships from one customer to other people (graph360.erasure; the ones
// towards them: erasure_delete_relationships_in; LadybugDB deletes directed patterns only).
// params: $customer_id
// returns: nothing
MATCH (c:Customer {customer_id: $customer_id})-[r:RELATED]->(:Customer)
DELETE r
