package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/parleyhq/parley/store"
)

// maxBatch bounds how many writes share one transaction, so one commit never waits on a huge batch.
const maxBatch = 512

// op is one write waiting for the writer goroutine. fn runs inside the batch transaction and must
// issue at most one modifying statement, so that a failed op leaves nothing behind (SQLite rolls
// back only the failing statement) and the other ops of the batch still commit.
type op struct {
	ctx  context.Context
	fn   func(w *writer) error
	done chan error
}

// writer owns the single write connection and its prepared statements. Only the writer goroutine
// touches it.
type writer struct {
	conn                          *sql.Conn
	insConv, updConv, convVersion *sql.Stmt
	msgByKey, insMsg, setRep      *sql.Stmt
}

func newWriter(ctx context.Context, conn *sql.Conn) (*writer, error) {
	w := &writer{conn: conn}
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&w.insConv, `INSERT INTO conversations (id, pack, created_at, status, updated_at, resolved_at, state, csat, handoff, tenant)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.updConv, `UPDATE conversations SET status = ?, updated_at = ?, resolved_at = ?,
			state = ?, csat = ?, handoff = ?, version = version + 1 WHERE id = ? AND (? = 0 OR version = ?)
			RETURNING version`},
		{&w.convVersion, `SELECT version FROM conversations WHERE id = ?`},
		{&w.msgByKey, `SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = ? AND idempotency_key = ?`},
		{&w.insMsg, `INSERT INTO messages (id, conversation_id, seq, role, text, parts, idempotency_key, created_at)
			VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?2), ?3, ?4, ?5, ?6, ?7)
			RETURNING seq`},
		{&w.setRep, `UPDATE messages SET reply = ?, observations = ? WHERE id = ? AND conversation_id = ?`},
	} {
		st, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
		*p.dst = st
	}
	return w, nil
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.insConv, w.updConv, w.convVersion, w.msgByKey, w.insMsg, w.setRep} {
		if st != nil {
			st.Close()
		}
	}
	w.conn.Close()
}

// run is the writer goroutine: it takes every op waiting on ops, runs them in one transaction, commits
// once (one fsync for the whole batch) and only then tells each caller its result.
func (w *writer) run(ops <-chan *op) {
	batch := make([]*op, 0, maxBatch)
	errs := make([]error, 0, maxBatch)
	for first := range ops {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-ops:
				if !ok {
					break fill
				}
				batch = append(batch, o)
			default:
				break fill
			}
		}
		errs = w.commit(batch, errs[:0])
		for i, o := range batch {
			o.done <- errs[i]
			batch[i] = nil
		}
	}
	w.close()
}

// commit runs batch in one transaction and returns each op's error. An op failing with a store
// sentinel (not found, duplicate) fails alone; any other error (I/O, disk full) aborts the batch.
func (w *writer) commit(batch []*op, errs []error) []error {
	bg := context.Background()
	fail := func(err error) []error {
		errs = errs[:0]
		for range batch {
			errs = append(errs, err)
		}
		return errs
	}
	if _, err := w.conn.ExecContext(bg, "BEGIN IMMEDIATE"); err != nil {
		return fail(fmt.Errorf("sqlite: begin: %w", err))
	}
	for _, o := range batch {
		err := o.ctx.Err()
		if err == nil {
			err = o.fn(w)
		}
		if err != nil && !isOpError(err) {
			w.conn.ExecContext(bg, "ROLLBACK")
			return fail(err)
		}
		errs = append(errs, err)
	}
	if _, err := w.conn.ExecContext(bg, "COMMIT"); err != nil {
		w.conn.ExecContext(bg, "ROLLBACK")
		return fail(fmt.Errorf("sqlite: commit: %w", err))
	}
	return errs
}

// isOpError reports whether err concerns only its own op, leaving the transaction usable.
func isOpError(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrDuplicate) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
