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

// ordersMigration keeps placed parts orders (the order as JSON) and the units each took per pack
// and SKU, so stock is counted once for every process sharing the store.
const ordersMigration = `CREATE TABLE orders (
		id              TEXT PRIMARY KEY,
		pack            TEXT NOT NULL,
		conversation_id TEXT NOT NULL DEFAULT '',
		body            BLOB NOT NULL,
		created_at      INTEGER NOT NULL
	);
	CREATE TABLE order_stock (
		pack  TEXT NOT NULL,
		sku   TEXT NOT NULL,
		taken INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (pack, sku)
	);`

var _ store.Orders = (*SQLite)(nil)

// PlaceOrder stores o and takes its stock in one savepoint of the writer's batch, so a refused
// line leaves nothing behind.
func (s *SQLite) PlaceOrder(ctx context.Context, o *store.PlacedOrder, stock map[string]int) error {
	if err := checkOrder(o); err != nil {
		return err
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = time.Now()
	}
	// A refused order is this op's outcome, not a failure of the writer's batch: it is rolled
	// back to its savepoint and reported after the batch commits.
	var refused error
	err := s.write(ctx, func(w *writer) error {
		ctx := context.WithoutCancel(ctx) // the savepoint is always released
		if _, err := w.conn.ExecContext(ctx, `SAVEPOINT place_order`); err != nil {
			return wrap(err, "place order")
		}
		err := placeOrder(ctx, w.conn, o, stock)
		if err != nil {
			if _, rerr := w.conn.ExecContext(ctx, `ROLLBACK TO place_order`); rerr != nil {
				return wrap(rerr, "place order")
			}
		}
		if _, rerr := w.conn.ExecContext(ctx, `RELEASE place_order`); rerr != nil {
			return wrap(rerr, "place order")
		}
		if errors.Is(err, store.ErrOutOfStock) || errors.Is(err, store.ErrDuplicate) {
			refused = err
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return refused
}

func placeOrder(ctx context.Context, conn *sql.Conn, o *store.PlacedOrder, stock map[string]int) error {
	_, err := conn.ExecContext(ctx, `INSERT INTO orders (id, pack, conversation_id, body, created_at) VALUES (?, ?, ?, ?, ?)`,
		o.ID, o.Pack, o.ConversationID, []byte(o.Body), o.CreatedAt.UnixNano())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "PRIMARY KEY") {
			return fmt.Errorf("order %q: %w", o.ID, store.ErrDuplicate)
		}
		return wrap(err, "place order")
	}
	for _, l := range o.Lines {
		var taken int
		err := conn.QueryRowContext(ctx, `INSERT INTO order_stock (pack, sku, taken) VALUES (?, ?, ?)
			ON CONFLICT (pack, sku) DO UPDATE SET taken = taken + excluded.taken RETURNING taken`, o.Pack, l.SKU, l.Qty).Scan(&taken)
		if err != nil {
			return wrap(err, "take stock")
		}
		if limit, ok := stock[l.SKU]; ok && taken > limit {
			return fmt.Errorf("%s: %d of %d left: %w", l.SKU, max(0, limit-(taken-l.Qty)), limit, store.ErrOutOfStock)
		}
	}
	return nil
}

// checkOrder refuses an order without an ID, pack, JSON body or positive quantities.
func checkOrder(o *store.PlacedOrder) error {
	if o.ID == "" || o.Pack == "" || !json.Valid(o.Body) {
		return errors.New("order: an ID, a pack and a JSON body are required")
	}
	for _, l := range o.Lines {
		if l.SKU == "" || l.Qty <= 0 {
			return fmt.Errorf("order %s: line %q: a SKU and a positive quantity are required", o.ID, l.SKU)
		}
	}
	return nil
}

// Order returns a stored order; store.ErrNotFound when there is none.
func (s *SQLite) Order(ctx context.Context, id string) (*store.PlacedOrder, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	var (
		o       store.PlacedOrder
		body    []byte
		created int64
	)
	err := s.read.QueryRowContext(ctx, `SELECT id, pack, conversation_id, body, created_at FROM orders WHERE id = ?`, id).
		Scan(&o.ID, &o.Pack, &o.ConversationID, &body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("order %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(err, "order")
	}
	o.Body, o.CreatedAt = body, fromNanos(created)
	return &o, nil
}

// StockTaken returns the units taken of each SKU of pack.
func (s *SQLite) StockTaken(ctx context.Context, pack string) (map[string]int, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	rows, err := s.read.QueryContext(ctx, `SELECT sku, taken FROM order_stock WHERE pack = ?`, pack)
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
