package sqlite

// edgeCountersMigration keeps, per conversation and media kind, the bytes a device sent up and
// what the raw media would have cost.
const edgeCountersMigration = `CREATE TABLE edge_bytes (
		conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		kind            TEXT NOT NULL,
		sent            INTEGER NOT NULL DEFAULT 0,
		raw             INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (conversation_id, kind)
	);`
