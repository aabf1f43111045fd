package postgres

// stageResultsMigration keeps the observations a stage produced for a message outside the turn
// (a perception job run by a worker, or a replay with a newer stage version), never overwriting
// what the turn recorded.
const stageResultsMigration = `CREATE TABLE stage_results (
		conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		message_id      text NOT NULL,
		stage           text NOT NULL,
		stage_version   text NOT NULL,
		origin          text NOT NULL,
		observations    jsonb NOT NULL,
		created_at      timestamptz NOT NULL,
		PRIMARY KEY (message_id, stage, stage_version, origin)
	);
	CREATE INDEX stage_results_conversation ON stage_results (conversation_id, created_at);`
