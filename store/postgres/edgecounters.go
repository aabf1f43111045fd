package postgres

// edgeCountersMigration keeps, per conversation and media kind, the bytes a device sent up and
// what the raw media would have cost.
const edgeCountersMigration = `CREATE TABLE edge_bytes (
		conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		kind            text NOT NULL,
		sent            bigint NOT NULL DEFAULT 0,
		raw             bigint NOT NULL DEFAULT 0,
		PRIMARY KEY (conversation_id, kind)
	);`
