package sqlite

import (
	"context"
	"fmt"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleyhq/parley/store"
)

// edgeCountersMigration keeps, per conversation and media kind, the bytes a device sent up and
// what the raw media would have cost.
const edgeCountersMigration = `CREATE TABLE edge_bytes (
		conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		kind            TEXT NOT NULL,
		sent            INTEGER NOT NULL DEFAULT 0,
		raw             INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (conversation_id, kind)
	);`

var _ store.EdgeCounters = (*SQLite)(nil)

// AddEdgeBytes adds to the conversation's counter of kind.
func (s *SQLite) AddEdgeBytes(ctx context.Context, conversationID, kind string, sent, raw int64) error {
	if sent < 0 || raw < 0 || kind == "" {
		return fmt.Errorf("sqlite: edge bytes %q sent %d raw %d: %w", kind, sent, raw, store.ErrBadValue)
	}
	return s.write(ctx, func(w *writer) error {
		_, err := w.conn.ExecContext(ctx, `INSERT INTO edge_bytes (conversation_id, kind, sent, raw) VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT (conversation_id, kind) DO UPDATE SET sent = edge_bytes.sent + ?3, raw = edge_bytes.raw + ?4`,
			conversationID, kind, sent, raw)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
			return fmt.Errorf("conversation %q: %w", conversationID, store.ErrNotFound)
		}
		return wrap(err, "add edge bytes")
	})
}

// EdgeBytes returns the conversation's counters by kind.
func (s *SQLite) EdgeBytes(ctx context.Context, conversationID string) ([]store.EdgeBytes, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	rows, err := s.read.QueryContext(ctx, `SELECT kind, sent, raw FROM edge_bytes WHERE conversation_id = ? ORDER BY kind`, conversationID)
	if err != nil {
		return nil, wrap(err, "edge bytes")
	}
	defer rows.Close()
	var out []store.EdgeBytes
	for rows.Next() {
		var b store.EdgeBytes
		if err := rows.Scan(&b.Kind, &b.Sent, &b.Raw); err != nil {
			return nil, wrap(err, "edge bytes")
		}
		out = append(out, b)
	}
	return out, wrap(rows.Err(), "edge bytes")
}

// EdgeTotals sums every conversation's counters by kind.
func (s *SQLite) EdgeTotals(ctx context.Context) (store.EdgeTotals, error) {
	var t store.EdgeTotals
	if err := s.begin(); err != nil {
		return t, err
	}
	defer s.end()
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(DISTINCT conversation_id) FROM edge_bytes`).Scan(&t.Conversations); err != nil {
		return t, wrap(err, "edge totals")
	}
	rows, err := s.read.QueryContext(ctx, `SELECT kind, SUM(sent), SUM(raw) FROM edge_bytes GROUP BY kind ORDER BY kind`)
	if err != nil {
		return t, wrap(err, "edge totals")
	}
	defer rows.Close()
	for rows.Next() {
		var b store.EdgeBytes
		if err := rows.Scan(&b.Kind, &b.Sent, &b.Raw); err != nil {
			return t, wrap(err, "edge totals")
		}
		t.Kinds = append(t.Kinds, b)
	}
	return t, wrap(rows.Err(), "edge totals")
}
