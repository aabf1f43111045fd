package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order; migration i brings the schema to version i+1, recorded in
// PRAGMA user_version. Never edit a released migration: append a new one.
var migrations = []string{
	`CREATE TABLE conversations (
		id          TEXT PRIMARY KEY,
		pack        TEXT NOT NULL,
		status      TEXT NOT NULL,
		created_at  INTEGER NOT NULL,
		updated_at  INTEGER NOT NULL,
		resolved_at INTEGER,
		state       BLOB,
		csat        BLOB,
		handoff     BLOB
	);
	CREATE INDEX conversations_created ON conversations (created_at DESC, id DESC);
	CREATE INDEX conversations_status ON conversations (status, created_at DESC);
	CREATE TABLE messages (
		id              TEXT PRIMARY KEY,
		conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		seq             INTEGER NOT NULL,
		role            TEXT NOT NULL,
		text            TEXT NOT NULL,
		parts           BLOB,
		idempotency_key TEXT,
		created_at      INTEGER NOT NULL,
		reply           BLOB,
		observations    BLOB,
		UNIQUE (conversation_id, seq)
	);
	CREATE UNIQUE INDEX messages_idempotency ON messages (conversation_id, idempotency_key)
		WHERE idempotency_key IS NOT NULL;`,
	// Optimistic concurrency: every save of a conversation names the version it read.
	`ALTER TABLE conversations ADD COLUMN version INTEGER NOT NULL DEFAULT 1;`,
	// Columns and triggers for the dashboard and explorer (stats.go).
	insightsMigration,
	// The stats query reads resolution times in order from this index.
	resolutionIndexMigration,
	// Hourly counters for the stats query, kept by triggers (stats.go).
	rollupMigration(),
	// Observations a stage produced outside the turn: perception jobs and replays (stageresults.go).
	stageResultsMigration,
	// Bytes devices sent up and what raw media would have cost, per conversation (edgecounters.go).
	edgeCountersMigration,
	// The cloud reasoner's budget use and circuit breaker, shared by every process (cloudstate.go).
	cloudStateMigration,
	// Parts orders and the stock they took, shared by every process (orders.go).
	ordersMigration,
	// Tenants, the blobs each message references, API keys, staff, sessions and the audit trail
	// (access.go).
	accessMigration,
	// The hourly counters and the resolution index per tenant too (stats.go).
	tenantRollupMigration(),
}

// migrate brings the database on conn to the newest schema version, one transaction per migration.
func migrate(ctx context.Context, conn *sql.Conn) error {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this build supports (%d): upgrade parley", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		if err := applyMigration(ctx, conn, v); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, v int) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	// Another process may have migrated while we waited for the write lock.
	var current int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return err
	}
	if current > v {
		_, err := conn.ExecContext(ctx, "COMMIT")
		return err
	}
	if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}
