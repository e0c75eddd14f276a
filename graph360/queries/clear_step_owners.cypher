// Forget the owners of these journey steps, so that a bundle's owner list replaces them.
// params: $step_ids (list of step ids)
// returns: nothing
UNWIND $step_ids AS step_id
MATCH (s:JourneyStep {step_id: step_id})-[o:OWNED_BY]->(:Department)
DELETE o
