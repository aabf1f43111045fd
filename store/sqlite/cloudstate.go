package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/parleyhq/parley/store"
)

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

var _ store.CloudState = (*SQLite)(nil)

// ReserveCloudCall counts one more call when the conversation's use allows it, in one statement.
func (s *SQLite) ReserveCloudCall(ctx context.Context, conversationID string, lim store.CloudLimits) (store.CloudUsage, bool, error) {
	var use store.CloudUsage
	ok := false
	err := s.write(ctx, func(w *writer) error {
		err := w.conn.QueryRowContext(ctx, `INSERT INTO cloud_usage (conversation_id, calls) VALUES (?1, 1)
			ON CONFLICT (conversation_id) DO UPDATE SET calls = cloud_usage.calls + 1
			WHERE (?2 <= 0 OR cloud_usage.calls < ?2) AND (?3 <= 0 OR cloud_usage.tokens < ?3) AND (?4 <= 0 OR cloud_usage.money < ?4)
			RETURNING calls, tokens, money`, conversationID, lim.Calls, lim.Tokens, lim.Money).Scan(&use.Calls, &use.Tokens, &use.Money)
		if err == nil {
			use.Calls--
			ok = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap(err, "reserve cloud call")
		}
		return wrap(w.conn.QueryRowContext(ctx, `SELECT calls, tokens, money FROM cloud_usage WHERE conversation_id = ?`, conversationID).
			Scan(&use.Calls, &use.Tokens, &use.Money), "reserve cloud call")
	})
	return use, ok, err
}

// AddCloudSpend adds tokens and money to the conversation's use.
func (s *SQLite) AddCloudSpend(ctx context.Context, conversationID string, tokens int64, money float64) error {
	if tokens < 0 || !(money >= 0) {
		return fmt.Errorf("sqlite: cloud spend %d tokens %v: %w", tokens, money, store.ErrBadValue)
	}
	return s.write(ctx, func(w *writer) error {
		_, err := w.conn.ExecContext(ctx, `INSERT INTO cloud_usage (conversation_id, tokens, money) VALUES (?1, ?2, ?3)
			ON CONFLICT (conversation_id) DO UPDATE SET tokens = cloud_usage.tokens + ?2, money = cloud_usage.money + ?3`,
			conversationID, tokens, money)
		return wrap(err, "add cloud spend")
	})
}

// CloudBreaker returns the endpoint's breaker.
func (s *SQLite) CloudBreaker(ctx context.Context, endpoint string) (store.Breaker, error) {
	var b store.Breaker
	if err := s.begin(); err != nil {
		return b, err
	}
	defer s.end()
	var until int64
	err := s.read.QueryRowContext(ctx, `SELECT failures, open_until FROM cloud_breaker WHERE endpoint = ?`, endpoint).Scan(&b.Failures, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return b, nil
	}
	if until != 0 {
		b.OpenUntil = fromNanos(until)
	}
	return b, wrap(err, "cloud breaker")
}

// ClaimCloudProbe moves a half-open breaker's open time to until for the caller's probe.
func (s *SQLite) ClaimCloudProbe(ctx context.Context, endpoint string, now, until time.Time) (bool, error) {
	var n int64
	err := s.write(ctx, func(w *writer) error {
		res, err := w.conn.ExecContext(ctx, `UPDATE cloud_breaker SET open_until = ? WHERE endpoint = ? AND open_until <> 0 AND open_until <= ?`,
			until.UnixNano(), endpoint, now.UnixNano())
		if err != nil {
			return wrap(err, "claim cloud probe")
		}
		n, err = res.RowsAffected()
		return wrap(err, "claim cloud probe")
	})
	return n == 1, err
}

// CloudFailure counts a failure and opens the breaker at breakAfter failures.
func (s *SQLite) CloudFailure(ctx context.Context, endpoint string, breakAfter int, openUntil time.Time) (store.Breaker, error) {
	breakAfter = max(1, breakAfter)
	var b store.Breaker
	var until int64
	err := s.write(ctx, func(w *writer) error {
		return wrap(w.conn.QueryRowContext(ctx, `INSERT INTO cloud_breaker (endpoint, failures, open_until)
			VALUES (?1, CASE WHEN ?2 <= 1 THEN 0 ELSE 1 END, CASE WHEN ?2 <= 1 THEN ?3 ELSE 0 END)
			ON CONFLICT (endpoint) DO UPDATE SET
				failures = CASE WHEN cloud_breaker.failures + 1 >= ?2 THEN 0 ELSE cloud_breaker.failures + 1 END,
				open_until = CASE WHEN cloud_breaker.failures + 1 >= ?2 THEN ?3 ELSE cloud_breaker.open_until END
			RETURNING failures, open_until`, endpoint, breakAfter, openUntil.UnixNano()).Scan(&b.Failures, &until), "cloud failure")
	})
	if until != 0 {
		b.OpenUntil = fromNanos(until)
	}
	return b, err
}

// CloudSuccess closes the endpoint's breaker.
func (s *SQLite) CloudSuccess(ctx context.Context, endpoint string) error {
	return s.write(ctx, func(w *writer) error {
		_, err := w.conn.ExecContext(ctx, `UPDATE cloud_breaker SET failures = 0, open_until = 0 WHERE endpoint = ? AND (failures <> 0 OR open_until <> 0)`, endpoint)
		return wrap(err, "cloud success")
	})
}
