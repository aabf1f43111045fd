package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parleyhq/parley/store"
)

// edgeCountersMigration keeps, per conversation and media kind, the bytes a device sent up and
// what the raw media would have cost.
const edgeCountersMigration = `CREATE TABLE edge_bytes (
		conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		kind            text NOT NULL,
		sent            bigint NOT NULL DEFAULT 0,
		raw             bigint NOT NULL DEFAULT 0,
		PRIMARY KEY (conversation_id, kind)
	);`

var _ store.EdgeCounters = (*Postgres)(nil)

// AddEdgeBytes adds to the conversation's counter of kind.
func (p *Postgres) AddEdgeBytes(ctx context.Context, conversationID, kind string, sent, raw int64) error {
	if sent < 0 || raw < 0 || kind == "" {
		return fmt.Errorf("postgres: edge bytes %q sent %d raw %d: %w", kind, sent, raw, store.ErrBadValue)
	}
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	_, err := p.pool.Exec(ctx, `INSERT INTO edge_bytes (conversation_id, kind, sent, raw) VALUES ($1, $2, $3, $4)
		ON CONFLICT (conversation_id, kind) DO UPDATE SET sent = edge_bytes.sent + $3, raw = edge_bytes.raw + $4`,
		conversationID, kind, sent, raw)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation
		return fmt.Errorf("conversation %q: %w", conversationID, store.ErrNotFound)
	}
	return wrap(err, "add edge bytes")
}

// EdgeBytes returns the conversation's counters by kind.
func (p *Postgres) EdgeBytes(ctx context.Context, conversationID string) ([]store.EdgeBytes, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	return p.edgeRows(ctx, `SELECT kind, sent, raw FROM edge_bytes WHERE conversation_id = $1 ORDER BY kind`, conversationID)
}

// EdgeTotals sums every conversation's counters by kind.
func (p *Postgres) EdgeTotals(ctx context.Context) (store.EdgeTotals, error) {
	var t store.EdgeTotals
	if err := p.begin(); err != nil {
		return t, err
	}
	defer p.end()
	if err := p.pool.QueryRow(ctx, `SELECT COUNT(DISTINCT conversation_id) FROM edge_bytes`).Scan(&t.Conversations); err != nil {
		return t, wrap(err, "edge totals")
	}
	var err error
	t.Kinds, err = p.edgeRows(ctx, `SELECT kind, SUM(sent)::bigint, SUM(raw)::bigint FROM edge_bytes GROUP BY kind ORDER BY kind`)
	return t, err
}

func (p *Postgres) edgeRows(ctx context.Context, q string, args ...any) ([]store.EdgeBytes, error) {
	rows, err := p.pool.Query(ctx, q, args...)
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
