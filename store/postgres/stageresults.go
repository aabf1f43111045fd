package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parleyhq/parley/store"
)

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

var _ store.StageResults = (*Postgres)(nil)

const stageResultColumns = `conversation_id, message_id, stage, stage_version, origin, observations, created_at`

// PutStageResult stores r unless a result with its key exists, and returns the stored one.
func (p *Postgres) PutStageResult(ctx context.Context, r *store.StageResult) (*store.StageResult, bool, error) {
	if r.MessageID == "" || r.Stage == "" || r.StageVersion == "" || r.Origin == "" {
		return nil, false, errors.New("postgres: stage result: message, stage, version and origin are required")
	}
	if !json.Valid(r.Observations) {
		return nil, false, errors.New("postgres: stage result: observations are not valid JSON")
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	if err := p.begin(); err != nil {
		return nil, false, err
	}
	tag, err := p.pool.Exec(ctx, `INSERT INTO stage_results (`+stageResultColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		r.ConversationID, r.MessageID, r.Stage, r.StageVersion, r.Origin, string(r.Observations), r.CreatedAt)
	p.end()
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" {
		return nil, false, fmt.Errorf("conversation %q: %w", r.ConversationID, store.ErrNotFound)
	}
	if err != nil {
		return nil, false, wrap(err, "put stage result")
	}
	if tag.RowsAffected() == 1 {
		cp := *r
		return &cp, true, nil
	}
	got, err := p.StageResult(ctx, r.MessageID, r.Stage, r.StageVersion, r.Origin)
	return got, false, err
}

// StageResult returns the result stored under the key; store.ErrNotFound when there is none.
func (p *Postgres) StageResult(ctx context.Context, messageID, stage, version, origin string) (*store.StageResult, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	row := p.pool.QueryRow(ctx, `SELECT `+stageResultColumns+` FROM stage_results
		WHERE message_id = $1 AND stage = $2 AND stage_version = $3 AND origin = $4`, messageID, stage, version, origin)
	r, err := scanStageResult(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("stage result %s/%s v%s (%s): %w", messageID, stage, version, origin, store.ErrNotFound)
	}
	return r, wrap(err, "stage result")
}

// StageResults returns a conversation's results, oldest first.
func (p *Postgres) StageResults(ctx context.Context, conversationID string) ([]*store.StageResult, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	rows, err := p.pool.Query(ctx, `SELECT `+stageResultColumns+` FROM stage_results
		WHERE conversation_id = $1 ORDER BY created_at, message_id, stage, stage_version, origin`, conversationID)
	if err != nil {
		return nil, wrap(err, "stage results")
	}
	defer rows.Close()
	var out []*store.StageResult
	for rows.Next() {
		r, err := scanStageResult(rows)
		if err != nil {
			return nil, wrap(err, "stage results")
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "stage results")
}

func scanStageResult(row pgx.Row) (*store.StageResult, error) {
	var (
		r   store.StageResult
		obs []byte
	)
	if err := row.Scan(&r.ConversationID, &r.MessageID, &r.Stage, &r.StageVersion, &r.Origin, &obs, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.Observations = obs
	return &r, nil
}
