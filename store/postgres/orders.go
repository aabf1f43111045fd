package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/store"
)

// ordersMigration keeps placed parts orders (the order as JSON) and the units each took per pack
// and SKU, so stock is counted once for every node sharing the database.
const ordersMigration = `CREATE TABLE orders (
		id              text PRIMARY KEY,
		pack            text NOT NULL,
		conversation_id text NOT NULL DEFAULT '',
		body            jsonb NOT NULL,
		created_at      timestamptz NOT NULL
	);
	CREATE TABLE order_stock (
		pack  text NOT NULL,
		sku   text NOT NULL,
		taken integer NOT NULL DEFAULT 0,
		PRIMARY KEY (pack, sku)
	);`

var _ store.Orders = (*Postgres)(nil)

// PlaceOrder stores o and takes its stock in one transaction; the upsert of each SKU's row locks
// it, so nodes placing orders at once take stock one after the other.
func (p *Postgres) PlaceOrder(ctx context.Context, o *store.PlacedOrder, stock map[string]int) error {
	if o.ID == "" || o.Pack == "" || !json.Valid(o.Body) {
		return errors.New("postgres: order: an ID, a pack and a JSON body are required")
	}
	for _, l := range o.Lines {
		if l.SKU == "" || l.Qty <= 0 {
			return fmt.Errorf("postgres: order %s: line %q: a SKU and a positive quantity are required", o.ID, l.SKU)
		}
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = time.Now()
	}
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO orders (id, pack, conversation_id, body, created_at) VALUES ($1, $2, $3, $4, $5)`,
			o.ID, o.Pack, o.ConversationID, string(o.Body), o.CreatedAt)
		if isUnique(err, "orders_pkey") {
			return fmt.Errorf("order %q: %w", o.ID, store.ErrDuplicate)
		}
		if err != nil {
			return wrap(err, "place order")
		}
		for _, l := range o.Lines {
			var taken int
			err := tx.QueryRow(ctx, `INSERT INTO order_stock (pack, sku, taken) VALUES ($1, $2, $3)
				ON CONFLICT (pack, sku) DO UPDATE SET taken = order_stock.taken + EXCLUDED.taken RETURNING taken`, o.Pack, l.SKU, l.Qty).Scan(&taken)
			if err != nil {
				return wrap(err, "take stock")
			}
			if limit, ok := stock[l.SKU]; ok && taken > limit {
				return fmt.Errorf("%s: %d of %d left: %w", l.SKU, max(0, limit-(taken-l.Qty)), limit, store.ErrOutOfStock)
			}
		}
		return nil
	})
}

// Order returns a stored order; store.ErrNotFound when there is none.
func (p *Postgres) Order(ctx context.Context, id string) (*store.PlacedOrder, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	var (
		o    store.PlacedOrder
		body []byte
	)
	err := p.pool.QueryRow(ctx, `SELECT id, pack, conversation_id, body, created_at FROM orders WHERE id = $1`, id).
		Scan(&o.ID, &o.Pack, &o.ConversationID, &body, &o.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("order %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(err, "order")
	}
	o.Body = body
	return &o, nil
}

// StockTaken returns the units taken of each SKU of pack.
func (p *Postgres) StockTaken(ctx context.Context, pack string) (map[string]int, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	rows, err := p.pool.Query(ctx, `SELECT sku, taken FROM order_stock WHERE pack = $1`, pack)
	if err != nil {
		return nil, wrap(err, "stock")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var sku string
		var n int
		if err := rows.Scan(&sku, &n); err != nil {
			return nil, wrap(err, "stock")
		}
		out[sku] = n
	}
	return out, wrap(rows.Err(), "stock")
}
