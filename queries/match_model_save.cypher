// Keep the matching model and the time of this run (created the first time).
// params: $model_name, $model (JSON), $trained_at, $matched_at
// returns: one row: name
MERGE (m:MatchModel {name: $model_name})
SET m.model = $model, m.trained_at = $trained_at, m.matched_at = $matched_at
RETURN m.name AS name
