package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrOutOfStock is returned when an order would take more units of a part than are left.
var ErrOutOfStock = errors.New("store: out of stock")

// StockLine is how many units of a part (a pack's SKU) an order takes.
type StockLine struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// PlacedOrder is a parts order as stored: the order itself as JSON (Body) and the stock it took.
type PlacedOrder struct {
	ID             string          `json:"id"`
	Pack           string          `json:"pack"`
	ConversationID string          `json:"conversation_id,omitempty"`
	Body           json.RawMessage `json:"body"`
	CreatedAt      time.Time       `json:"created_at"`
	Lines          []StockLine     `json:"lines"`
}

// Orders keeps parts orders and the stock they took for every process sharing the store, so a
// part is never sold twice whichever node takes the order.
type Orders interface {
	// PlaceOrder stores o and takes its lines from stock, all or nothing: ErrOutOfStock when a
	// line's SKU is in stock (the pack's units of it) and the units taken would pass it (SKUs not
	// in stock, or a nil stock, have no limit); ErrDuplicate when an order with o's ID exists.
	PlaceOrder(ctx context.Context, o *PlacedOrder, stock map[string]int) error
	// Order returns a stored order (Lines empty); ErrNotFound when there is none.
	Order(ctx context.Context, id string) (*PlacedOrder, error)
	// StockTaken returns the units taken so far of each SKU of pack.
	StockTaken(ctx context.Context, pack string) (map[string]int, error)
}
