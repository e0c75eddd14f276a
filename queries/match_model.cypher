// The stored matching model: Splink's trained settings and term frequencies (JSON), when it
// was trained and when matching last ran.
// params: $model_name (the model's name)
// returns: at most one row: model, trained_at, matched_at
MATCH (m:MatchModel {name: $model_name})
RETURN m.model AS model, m.trained_at AS trained_at, m.matched_at AS matched_at
