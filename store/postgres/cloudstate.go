package postgres

// cloudStateMigration keeps the cloud reasoner's use per conversation (calls, tokens, money) and
// the circuit breaker of each endpoint, so every node sharing the database enforces one budget.
const cloudStateMigration = `CREATE TABLE cloud_usage (
		conversation_id text PRIMARY KEY,
		calls           bigint NOT NULL DEFAULT 0,
		tokens          bigint NOT NULL DEFAULT 0,
		money           double precision NOT NULL DEFAULT 0
	);
	CREATE TABLE cloud_breaker (
		endpoint   text PRIMARY KEY,
		failures   integer NOT NULL DEFAULT 0,
		open_until timestamptz NOT NULL DEFAULT 'epoch'
	);`
