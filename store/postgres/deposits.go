package postgres

import (
	"context"
	"time"

	"github.com/parleyhq/parley/store"
)

var _ store.Deposits = (*Postgres)(nil)

// AddDeposit remembers a deposit; a zero At becomes now.
func (p *Postgres) AddDeposit(ctx context.Context, d store.Deposit) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	if d.At.IsZero() {
		d.At = time.Now()
	}
	_, err := p.pool.Exec(ctx, `INSERT INTO deposits (fingerprint, routing, account, check_number, amount, at, ref)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, d.Fingerprint, d.Routing, d.Account, d.CheckNumber, d.Amount, d.At, d.Ref)
	return wrap(err, "add deposit")
}

// DepositCandidates returns the deposits with d's MICR identity, or with d's amount when d has no
// identity, oldest first.
func (p *Postgres) DepositCandidates(ctx context.Context, d store.Deposit) ([]store.Deposit, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	const cols = `SELECT fingerprint, routing, account, check_number, amount, at, ref FROM deposits`
	q, args := cols+` WHERE amount = $1 ORDER BY id`, []any{d.Amount}
	if d.Identified() {
		q, args = cols+` WHERE routing = $1 AND account = $2 AND check_number = $3 ORDER BY id`, []any{d.Routing, d.Account, d.CheckNumber}
	}
	rows, err := p.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "deposits")
	}
	defer rows.Close()
	var out []store.Deposit
	for rows.Next() {
		var c store.Deposit
		if err := rows.Scan(&c.Fingerprint, &c.Routing, &c.Account, &c.CheckNumber, &c.Amount, &c.At, &c.Ref); err != nil {
			return nil, wrap(err, "deposits")
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err(), "deposits")
}
