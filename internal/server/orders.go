package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/store"
)

// maxOrderLines and maxOrderQty bound one parts order.
const (
	maxOrderLines = 20
	maxOrderQty   = 10
)

// OrderLine is one part of an order.
type OrderLine struct {
	SKU   string  `json:"sku"`
	Name  string  `json:"name"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

// Order is a placed parts order.
type Order struct {
	ID             string      `json:"id"`
	Pack           string      `json:"pack"`
	ConversationID string      `json:"conversation_id,omitempty"`
	Model          string      `json:"model,omitempty"`
	Name           string      `json:"name"`
	Address        string      `json:"address"`
	Lines          []OrderLine `json:"items"`
	Total          float64     `json:"total"`
	Status         string      `json:"status"`
	CreatedAt      time.Time   `json:"created_at"`
}

// orderBook keeps placed orders and the stock they took in the store, shared by every node. An
// orders file an older version kept in the data directory (orders.jsonl) is imported on first
// use and renamed orders.jsonl.imported; importing again is harmless (known orders are skipped).
type orderBook struct {
	mu   sync.Mutex
	path string
	st   store.Orders
	// done is set once the orders file is imported (or there was none).
	done bool
	// loadErr is why the orders file could not be imported; every later call reports it.
	loadErr error
}

// load imports the orders file once; the caller holds b.mu.
func (b *orderBook) load(ctx context.Context) error {
	if b.st == nil {
		return errors.New("server: orders: the store keeps no orders")
	}
	if b.done || b.loadErr != nil {
		return b.loadErr
	}
	raw, err := os.ReadFile(b.path)
	if errors.Is(err, os.ErrNotExist) {
		b.done = true
		return nil
	}
	if err != nil {
		b.loadErr = fmt.Errorf("server: orders: %w", err)
		return b.loadErr
	}
	list, err := ReadOrders(raw)
	if err != nil {
		b.loadErr = fmt.Errorf("server: orders: %s: %w", b.path, err)
		return b.loadErr
	}
	for _, o := range list {
		po, err := placed(o)
		if err == nil {
			err = b.st.PlaceOrder(ctx, po, nil) // their stock was taken when they were placed
		}
		if err != nil && !errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("server: orders: import %s from %s: %w", o.ID, b.path, err)
		}
	}
	if err := os.Rename(b.path, b.path+".imported"); err != nil {
		return fmt.Errorf("server: orders: imported %s but cannot rename it: %w", b.path, err)
	}
	b.done = true
	return nil
}

// placed is an order as the store keeps it.
func placed(o *Order) (*store.PlacedOrder, error) {
	body, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	po := &store.PlacedOrder{ID: o.ID, Pack: o.Pack, ConversationID: o.ConversationID, Body: body, CreatedAt: o.CreatedAt}
	for _, l := range o.Lines {
		po.Lines = append(po.Lines, store.StockLine{SKU: l.SKU, Qty: l.Qty})
	}
	return po, nil
}

// ErrBadOrders is returned for an orders file with a line that is not an order.
var ErrBadOrders = errors.New("not an orders file")

// ReadOrders parses the lines of an orders.jsonl file, one order a line. A last line cut short
// (the process stopped while writing it) is skipped; any other line that is not an order with an
// ID is an error naming the line.
func ReadOrders(raw []byte) ([]*Order, error) {
	var out []*Order
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		o := &Order{}
		if err := json.Unmarshal(line, o); err != nil || o.ID == "" {
			if !bytes.HasSuffix(raw, []byte("\n")) && bytes.HasSuffix(bytes.TrimSpace(raw), line) {
				break // a torn last line
			}
			return nil, fmt.Errorf("%w: line %d is not an order", ErrBadOrders, n)
		}
		out = append(out, o)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadOrders, err)
	}
	return out, nil
}

// place stores o and takes its units from stock (the pack's stock per SKU); store.ErrOutOfStock
// when another order took them first.
func (b *orderBook) place(ctx context.Context, o *Order, stock map[string]int) error {
	b.mu.Lock()
	err := b.load(ctx)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	po, err := placed(o)
	if err != nil {
		return err
	}
	return b.st.PlaceOrder(ctx, po, stock)
}

func (b *orderBook) get(id string) (*Order, bool, error) {
	ctx := context.Background()
	b.mu.Lock()
	err := b.load(ctx)
	b.mu.Unlock()
	if err != nil {
		return nil, false, err
	}
	po, err := b.st.Order(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	o := &Order{}
	if err := json.Unmarshal(po.Body, o); err != nil {
		return nil, false, fmt.Errorf("server: order %s: %w", id, err)
	}
	return o, true, nil
}

// taken returns the units ordered of each SKU of pack; when the orders cannot be read it reports
// the error, and callers count nothing as left, so nothing is sold twice.
func (b *orderBook) taken(ctx context.Context, pack string) (map[string]int, error) {
	b.mu.Lock()
	err := b.load(ctx)
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return b.st.StockTaken(ctx, pack)
}

// inStock returns what is left of a part, none when the orders cannot be read.
func (b *orderBook) inStock(ctx context.Context, pack string, p kb.Part) int {
	taken, err := b.taken(ctx, pack)
	if err != nil {
		return 0
	}
	return p.Stock - taken[p.Number]
}

// handleOrder places a parts order: POST /v1/orders {pack, conversation_id?, model?, name,
// address, items: [{sku, qty}]}. Unknown parts, quantities outside 1..10 and parts out of stock
// are refused.
func (s *Server) handleOrder(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Pack           string `json:"pack"`
		ConversationID string `json:"conversation_id"`
		Model          string `json:"model"`
		Name           string `json:"name"`
		Address        string `json:"address"`
		Items          []struct {
			SKU string `json:"sku"`
			Qty int    `json:"qty"`
		} `json:"items"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.packs.Pack(req.Pack)
	if err != nil {
		s.fail(w, r, errorf(http.StatusBadRequest, "unknown_pack", err.Error()))
		return
	}
	if len(req.Items) == 0 || len(req.Items) > maxOrderLines {
		s.fail(w, r, errorf(http.StatusBadRequest, "bad_order", fmt.Sprintf("an order needs 1 to %d items", maxOrderLines)))
		return
	}
	if strings.TrimSpace(req.Name) == "" || strings.TrimSpace(req.Address) == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "bad_order", "an order needs a name and a delivery address"))
		return
	}
	if req.ConversationID != "" {
		if _, err := s.store.Conversation(r.Context(), req.ConversationID); errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, errorf(http.StatusBadRequest, "unknown_conversation", "no such conversation"))
			return
		}
	}
	o := &Order{ID: newID("o_"), Pack: p.Name, ConversationID: req.ConversationID, Model: req.Model,
		Name: strings.TrimSpace(req.Name), Address: strings.TrimSpace(req.Address), Status: "placed", CreatedAt: s.now()}
	stock := map[string]int{}
	for _, it := range req.Items {
		part, ok := p.Part(it.SKU)
		if !ok {
			s.fail(w, r, errorf(http.StatusBadRequest, "unknown_part", fmt.Sprintf("no part %q in %s", it.SKU, p.Name)))
			return
		}
		if it.Qty < 1 || it.Qty > maxOrderQty {
			s.fail(w, r, errorf(http.StatusBadRequest, "bad_order", fmt.Sprintf("quantity of %s must be 1 to %d", it.SKU, maxOrderQty)))
			return
		}
		if s.orders.inStock(r.Context(), p.Name, part) < it.Qty {
			s.fail(w, r, errorf(http.StatusConflict, "out_of_stock", fmt.Sprintf("%s %s is out of stock", part.Name, part.Number)))
			return
		}
		o.Lines = append(o.Lines, OrderLine{SKU: part.Number, Name: part.Name, Qty: it.Qty, Price: part.Price})
		stock[part.Number] = part.Stock
		o.Total += part.Price * float64(it.Qty)
	}
	if err := s.orders.place(r.Context(), o, stock); errors.Is(err, store.ErrOutOfStock) {
		s.fail(w, r, errorf(http.StatusConflict, "out_of_stock", "a part of the order was sold meanwhile: "+err.Error()))
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) handleGetOrder(w http.ResponseWriter, r *http.Request) {
	o, ok, err := s.orders.get(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such order"))
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// partsJSON answers GET /v1/packs/{pack}/parts?order=...&format=json: the parts with prices and
// what is left in stock.
func (s *Server) partsJSON(w http.ResponseWriter, p *kb.Pack, numbers []string) {
	type line struct {
		SKU   string   `json:"sku"`
		Name  string   `json:"name"`
		Price float64  `json:"price"`
		Stock int      `json:"stock"`
		Fits  []string `json:"fits"`
	}
	out := []line{}
	taken, err := s.orders.taken(context.Background(), p.Name)
	for _, n := range numbers {
		if pt, ok := p.Part(strings.TrimSpace(n)); ok {
			left := 0 // none when the orders cannot be read, so nothing is sold twice
			if err == nil {
				left = max(0, pt.Stock-taken[pt.Number])
			}
			out = append(out, line{pt.Number, pt.Name, pt.Price, left, pt.Fits})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"pack": p.Name, "title": p.Title, "parts": out})
}

func ordersPath(dataDir string) string { return filepath.Join(dataDir, "orders.jsonl") }
