package sqlite

// stageResultsMigration keeps the observations a stage produced for a message outside the turn
// (a perception job run by a worker, or a replay with a newer stage version), never overwriting
// what the turn recorded.
const stageResultsMigration = `CREATE TABLE stage_results (
		conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		message_id      TEXT NOT NULL,
		stage           TEXT NOT NULL,
		stage_version   TEXT NOT NULL,
		origin          TEXT NOT NULL,
		observations    BLOB NOT NULL,
		created_at      INTEGER NOT NULL,
		PRIMARY KEY (message_id, stage, stage_version, origin)
	);
	CREATE INDEX stage_results_conversation ON stage_results (conversation_id, created_at);`
