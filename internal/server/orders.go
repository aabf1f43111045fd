package server

import (
	"bufio"
	"bytes"
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

// orderBook keeps placed orders in memory and appends each to DataDir/orders.jsonl. The orders
// already in the file are read back on first use, so orders and the stock they took survive a
// restart.
type orderBook struct {
	mu     sync.Mutex
	path   string
	orders map[string]*Order
	// taken counts the units ordered per pack and SKU, against the pack's stock.
	taken map[string]int
	// loadErr is why the file could not be read back; every later call reports it.
	loadErr error
}

// load reads the orders written before, once; the caller holds b.mu.
func (b *orderBook) load() error {
	if b.orders != nil || b.loadErr != nil {
		return b.loadErr
	}
	raw, err := os.ReadFile(b.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		b.loadErr = fmt.Errorf("server: orders: %w", err)
		return b.loadErr
	}
	list, err := ReadOrders(raw)
	if err != nil {
		b.loadErr = fmt.Errorf("server: orders: %s: %w", b.path, err)
		return b.loadErr
	}
	b.orders, b.taken = map[string]*Order{}, map[string]int{}
	for _, o := range list {
		b.orders[o.ID] = o
		for _, l := range o.Lines {
			b.taken[o.Pack+"/"+l.SKU] += l.Qty
		}
	}
	return nil
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

func (b *orderBook) place(o *Order) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.load(); err != nil {
		return err
	}
	line, err := json.Marshal(o)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(b.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("server: orders: %w", err)
	}
	_, werr := f.Write(append(line, '\n'))
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("server: orders: %w", err)
	}
	b.orders[o.ID] = o
	for _, l := range o.Lines {
		b.taken[o.Pack+"/"+l.SKU] += l.Qty
	}
	return nil
}

func (b *orderBook) get(id string) (*Order, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.load(); err != nil {
		return nil, false, err
	}
	o, ok := b.orders[id]
	return o, ok, nil
}

// inStock returns what is left of a part; when the placed orders cannot be read back it counts
// none as left, so nothing is sold twice.
func (b *orderBook) inStock(pack string, p kb.Part) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.load() != nil {
		return 0
	}
	return p.Stock - b.taken[pack+"/"+p.Number]
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
		if s.orders.inStock(p.Name, part) < it.Qty {
			s.fail(w, r, errorf(http.StatusConflict, "out_of_stock", fmt.Sprintf("%s %s is out of stock", part.Name, part.Number)))
			return
		}
		o.Lines = append(o.Lines, OrderLine{SKU: part.Number, Name: part.Name, Qty: it.Qty, Price: part.Price})
		o.Total += part.Price * float64(it.Qty)
	}
	if err := s.orders.place(o); err != nil {
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
	for _, n := range numbers {
		if pt, ok := p.Part(strings.TrimSpace(n)); ok {
			out = append(out, line{pt.Number, pt.Name, pt.Price, max(0, s.orders.inStock(p.Name, pt)), pt.Fits})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"pack": p.Name, "title": p.Title, "parts": out})
}

func ordersPath(dataDir string) string { return filepath.Join(dataDir, "orders.jsonl") }
