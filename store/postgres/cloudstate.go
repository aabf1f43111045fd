package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/store"
)

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

var _ store.CloudState = (*Postgres)(nil)

// epoch is the open_until of a closed breaker.
var epoch = time.Unix(0, 0).UTC()

// ReserveCloudCall counts one more call when the conversation's use allows it, in one statement.
func (p *Postgres) ReserveCloudCall(ctx context.Context, conversationID string, lim store.CloudLimits) (store.CloudUsage, bool, error) {
	var use store.CloudUsage
	if err := p.begin(); err != nil {
		return use, false, err
	}
	defer p.end()
	err := p.pool.QueryRow(ctx, `INSERT INTO cloud_usage (conversation_id, calls) VALUES ($1, 1)
		ON CONFLICT (conversation_id) DO UPDATE SET calls = cloud_usage.calls + 1
		WHERE ($2::bigint <= 0 OR cloud_usage.calls < $2::bigint) AND ($3::bigint <= 0 OR cloud_usage.tokens < $3::bigint)
			AND ($4::float8 <= 0 OR cloud_usage.money < $4::float8)
		RETURNING calls, tokens, money`, conversationID, lim.Calls, lim.Tokens, lim.Money).Scan(&use.Calls, &use.Tokens, &use.Money)
	if err == nil {
		use.Calls--
		return use, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return use, false, wrap(err, "reserve cloud call")
	}
	err = p.pool.QueryRow(ctx, `SELECT calls, tokens, money FROM cloud_usage WHERE conversation_id = $1`, conversationID).
		Scan(&use.Calls, &use.Tokens, &use.Money)
	return use, false, wrap(err, "reserve cloud call")
}

// AddCloudSpend adds tokens and money to the conversation's use.
func (p *Postgres) AddCloudSpend(ctx context.Context, conversationID string, tokens int64, money float64) error {
	if tokens < 0 || !(money >= 0) {
		return fmt.Errorf("postgres: cloud spend %d tokens %v: %w", tokens, money, store.ErrBadValue)
	}
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	_, err := p.pool.Exec(ctx, `INSERT INTO cloud_usage (conversation_id, tokens, money) VALUES ($1, $2, $3)
		ON CONFLICT (conversation_id) DO UPDATE SET tokens = cloud_usage.tokens + $2, money = cloud_usage.money + $3`,
		conversationID, tokens, money)
	return wrap(err, "add cloud spend")
}

// CloudBreaker returns the endpoint's breaker.
func (p *Postgres) CloudBreaker(ctx context.Context, endpoint string) (store.Breaker, error) {
	var b store.Breaker
	if err := p.begin(); err != nil {
		return b, err
	}
	defer p.end()
	err := p.pool.QueryRow(ctx, `SELECT failures, open_until FROM cloud_breaker WHERE endpoint = $1`, endpoint).Scan(&b.Failures, &b.OpenUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Breaker{}, nil
	}
	b.OpenUntil = fromEpoch(b.OpenUntil)
	return b, wrap(err, "cloud breaker")
}

func fromEpoch(t time.Time) time.Time {
	if !t.After(epoch) {
		return time.Time{}
	}
	return t.UTC()
}

// ClaimCloudProbe moves a half-open breaker's open time to until for the caller's probe.
func (p *Postgres) ClaimCloudProbe(ctx context.Context, endpoint string, now, until time.Time) (bool, error) {
	if err := p.begin(); err != nil {
		return false, err
	}
	defer p.end()
	tag, err := p.pool.Exec(ctx, `UPDATE cloud_breaker SET open_until = $1 WHERE endpoint = $2 AND open_until > 'epoch' AND open_until <= $3`,
		until, endpoint, now)
	if err != nil {
		return false, wrap(err, "claim cloud probe")
	}
	return tag.RowsAffected() == 1, nil
}

// CloudFailure counts a failure and opens the breaker at breakAfter failures.
func (p *Postgres) CloudFailure(ctx context.Context, endpoint string, breakAfter int, openUntil time.Time) (store.Breaker, error) {
	breakAfter = max(1, breakAfter)
	var b store.Breaker
	if err := p.begin(); err != nil {
		return b, err
	}
	defer p.end()
	err := p.pool.QueryRow(ctx, `INSERT INTO cloud_breaker (endpoint, failures, open_until)
		VALUES ($1, CASE WHEN $2::int <= 1 THEN 0 ELSE 1 END, CASE WHEN $2::int <= 1 THEN $3::timestamptz ELSE 'epoch' END)
		ON CONFLICT (endpoint) DO UPDATE SET
			failures = CASE WHEN cloud_breaker.failures + 1 >= $2::int THEN 0 ELSE cloud_breaker.failures + 1 END,
			open_until = CASE WHEN cloud_breaker.failures + 1 >= $2::int THEN $3::timestamptz ELSE cloud_breaker.open_until END
		RETURNING failures, open_until`, endpoint, breakAfter, openUntil).Scan(&b.Failures, &b.OpenUntil)
	b.OpenUntil = fromEpoch(b.OpenUntil)
	return b, wrap(err, "cloud failure")
}

// CloudSuccess closes the endpoint's breaker.
func (p *Postgres) CloudSuccess(ctx context.Context, endpoint string) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	_, err := p.pool.Exec(ctx, `UPDATE cloud_breaker SET failures = 0, open_until = 'epoch' WHERE endpoint = $1 AND (failures <> 0 OR open_until > 'epoch')`, endpoint)
	return wrap(err, "cloud success")
}
