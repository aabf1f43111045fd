package sqlite

// cloudStateMigration keeps the cloud reasoner's use per conversation (calls, tokens, money) and
// the circuit breaker of each endpoint, so every process sharing the store enforces one budget.
const cloudStateMigration = `CREATE TABLE cloud_usage (
		conversation_id TEXT PRIMARY KEY,
		calls           INTEGER NOT NULL DEFAULT 0,
		tokens          INTEGER NOT NULL DEFAULT 0,
		money           REAL NOT NULL DEFAULT 0
	);
	CREATE TABLE cloud_breaker (
		endpoint   TEXT PRIMARY KEY,
		failures   INTEGER NOT NULL DEFAULT 0,
		open_until INTEGER NOT NULL DEFAULT 0
	);`
