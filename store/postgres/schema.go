package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are applied in order; migration i brings the schema to version i+1. Never edit a
// released migration: append a new one.
var migrations = []string{
	`CREATE TABLE conversations (
		id          text PRIMARY KEY,
		pack        text NOT NULL,
		status      text NOT NULL,
		created_at  timestamptz NOT NULL,
		updated_at  timestamptz NOT NULL,
		resolved_at timestamptz,
		state       jsonb,
		csat        jsonb,
		handoff     jsonb
	);
	CREATE INDEX conversations_created ON conversations (created_at DESC, id DESC);
	CREATE INDEX conversations_status ON conversations (status, created_at DESC);
	CREATE TABLE messages (
		id              text PRIMARY KEY,
		conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		seq             integer NOT NULL,
		role            text NOT NULL,
		text            text NOT NULL,
		parts           jsonb,
		idempotency_key text,
		created_at      timestamptz NOT NULL,
		reply           jsonb,
		observations    jsonb,
		UNIQUE (conversation_id, seq)
	);
	CREATE UNIQUE INDEX messages_idempotency ON messages (conversation_id, idempotency_key)
		WHERE idempotency_key IS NOT NULL;`,
	// Optimistic concurrency: every save of a conversation names the version it read.
	`ALTER TABLE conversations ADD COLUMN version bigint NOT NULL DEFAULT 1;`,
	// Blobs shared by every node: the content in 1 MiB chunks, the row written last, so a blob
	// is either absent or complete.
	`CREATE TABLE blobs (
		hash         text PRIMARY KEY,
		upload       text NOT NULL UNIQUE,
		size         bigint NOT NULL,
		content_type text NOT NULL,
		created_at   timestamptz NOT NULL DEFAULT now()
	);
	CREATE TABLE blob_chunks (
		upload text NOT NULL,
		n      integer NOT NULL,
		data   bytea NOT NULL,
		PRIMARY KEY (upload, n)
	);`,
	// Notifications too large for a NOTIFY payload wait here a few minutes for their listeners.
	`CREATE TABLE notifications (
		id         bigserial PRIMARY KEY,
		payload    text NOT NULL,
		created_at timestamptz NOT NULL DEFAULT now()
	);`,
	// Deposited checks, so a check deposited on one node is refused on every node.
	`CREATE TABLE deposits (
		id           bigserial PRIMARY KEY,
		fingerprint  text NOT NULL,
		routing      text NOT NULL,
		account      text NOT NULL,
		check_number text NOT NULL,
		amount       double precision NOT NULL,
		at           timestamptz NOT NULL,
		ref          text NOT NULL
	);
	CREATE INDEX deposits_identity ON deposits (routing, account, check_number);
	CREATE INDEX deposits_amount ON deposits (amount);`,
	// Columns and a trigger for the dashboard and explorer (stats.go).
	insightsMigration,
	// Observations a stage produced outside the turn: perception jobs and replays (stageresults.go).
	stageResultsMigration,
	// Bytes devices sent up and what raw media would have cost, per conversation (edgecounters.go).
	edgeCountersMigration,
	// The cloud reasoner's budget use and circuit breaker, shared by every node (cloudstate.go).
	cloudStateMigration,
	// Parts orders and the stock they took, shared by every node (orders.go).
	ordersMigration,
	// Tenants, the blobs each message references, API keys, staff, sessions and the audit trail
	// (access.go).
	accessMigration,
}

// migrationLock is the advisory lock key that serializes migrations of concurrent processes.
const migrationLock = 0x7061726c6579 // "parley"

// migrate brings the schema (in the connection's search_path) to the newest version.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS parley_schema_version (version integer NOT NULL)`); err != nil {
			return err
		}
		var version int
		err := tx.QueryRow(ctx, `SELECT version FROM parley_schema_version`).Scan(&version)
		switch {
		case err == pgx.ErrNoRows:
			if _, err := tx.Exec(ctx, `INSERT INTO parley_schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if version > len(migrations) {
			return fmt.Errorf("database schema version %d is newer than this build supports (%d): upgrade parley", version, len(migrations))
		}
		for v := version; v < len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE parley_schema_version SET version = $1`, len(migrations))
		return err
	})
}
