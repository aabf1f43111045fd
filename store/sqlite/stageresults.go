package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/store"
)

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

var _ store.StageResults = (*SQLite)(nil)

const stageResultColumns = `conversation_id, message_id, stage, stage_version, origin, observations, created_at`

// PutStageResult stores r unless a result with its key exists, and returns the stored one.
func (s *SQLite) PutStageResult(ctx context.Context, r *store.StageResult) (*store.StageResult, bool, error) {
	if r.MessageID == "" || r.Stage == "" || r.StageVersion == "" || r.Origin == "" {
		return nil, false, errors.New("sqlite: stage result: message, stage, version and origin are required")
	}
	if !json.Valid(r.Observations) {
		return nil, false, errors.New("sqlite: stage result: observations are not valid JSON")
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	var created bool
	err := s.write(ctx, func(w *writer) error {
		res, err := w.conn.ExecContext(ctx, `INSERT INTO stage_results (`+stageResultColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			r.ConversationID, r.MessageID, r.Stage, r.StageVersion, r.Origin, []byte(r.Observations), r.CreatedAt.UnixNano())
		if err != nil {
			if strings.Contains(err.Error(), "FOREIGN KEY") {
				return fmt.Errorf("conversation %q: %w", r.ConversationID, store.ErrNotFound)
			}
			return wrap(err, "put stage result")
		}
		n, _ := res.RowsAffected()
		created = n == 1
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if created {
		cp := *r
		return &cp, true, nil
	}
	got, err := s.StageResult(ctx, r.MessageID, r.Stage, r.StageVersion, r.Origin)
	return got, false, err
}

// StageResult returns the result stored under the key; store.ErrNotFound when there is none.
func (s *SQLite) StageResult(ctx context.Context, messageID, stage, version, origin string) (*store.StageResult, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	row := s.read.QueryRowContext(ctx, `SELECT `+stageResultColumns+` FROM stage_results
		WHERE message_id = ? AND stage = ? AND stage_version = ? AND origin = ?`, messageID, stage, version, origin)
	r, err := scanStageResult(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("stage result %s/%s v%s (%s): %w", messageID, stage, version, origin, store.ErrNotFound)
	}
	return r, wrap(err, "stage result")
}

// StageResults returns a conversation's results, oldest first.
func (s *SQLite) StageResults(ctx context.Context, conversationID string) ([]*store.StageResult, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	rows, err := s.read.QueryContext(ctx, `SELECT `+stageResultColumns+` FROM stage_results
		WHERE conversation_id = ? ORDER BY created_at, message_id, stage, stage_version, origin`, conversationID)
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

func scanStageResult(r scanner) (*store.StageResult, error) {
	var (
		res     store.StageResult
		obs     []byte
		created int64
	)
	if err := r.Scan(&res.ConversationID, &res.MessageID, &res.Stage, &res.StageVersion, &res.Origin, &obs, &created); err != nil {
		return nil, err
	}
	res.Observations = obs
	res.CreatedAt = fromNanos(created)
	return &res, nil
}
