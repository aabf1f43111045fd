package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/store"
)

// RunOrders runs the store.Orders conformance suite on the stores open returns (which must
// implement it); open follows the contract of Run.
func RunOrders(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	o, ok := s.(store.Orders)
	if !ok {
		t.Fatalf("%T does not implement store.Orders", s)
	}
	ctx := context.Background()
	order := func(id string, lines ...store.StockLine) *store.PlacedOrder {
		return &store.PlacedOrder{ID: id, Pack: "appliances", Body: json.RawMessage(fmt.Sprintf(`{"id":%q,"total":34}`, id)), CreatedAt: at(1), Lines: lines}
	}
	stock := map[string]int{"WL-0505": 9, "BF-1": 1}

	t.Run("place and read back", func(t *testing.T) {
		if err := o.PlaceOrder(ctx, order("o_1", store.StockLine{SKU: "WL-0505", Qty: 3}), stock); err != nil {
			t.Fatal(err)
		}
		got, err := o.Order(ctx, "o_1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "o_1" || got.Pack != "appliances" || !sameJSON(got.Body, order("o_1").Body) || !sameTime(got.CreatedAt, at(1)) {
			t.Errorf("order %+v (%s)", got, got.Body)
		}
		if _, err := o.Order(ctx, "o_nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown order: %v, want ErrNotFound", err)
		}
	})
	t.Run("duplicate ID", func(t *testing.T) {
		if err := o.PlaceOrder(ctx, order("o_1", store.StockLine{SKU: "WL-0505", Qty: 1}), stock); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("second order o_1: %v, want ErrDuplicate", err)
		}
	})
	t.Run("all or nothing", func(t *testing.T) {
		err := o.PlaceOrder(ctx, order("o_2", store.StockLine{SKU: "WL-0505", Qty: 2}, store.StockLine{SKU: "BF-1", Qty: 2}), stock)
		if !errors.Is(err, store.ErrOutOfStock) {
			t.Fatalf("order of 2 BF-1 with 1 in stock: %v, want ErrOutOfStock", err)
		}
		if _, err := o.Order(ctx, "o_2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused order was stored: %v", err)
		}
		taken, err := o.StockTaken(ctx, "appliances")
		if err != nil {
			t.Fatal(err)
		}
		if taken["WL-0505"] != 3 || taken["BF-1"] != 0 {
			t.Errorf("stock taken %v after a refused order, want WL-0505 3 (the first order only)", taken)
		}
		// A SKU the stock does not list has no limit (orders read back from an older file).
		if err := o.PlaceOrder(ctx, order("o_3", store.StockLine{SKU: "OLD-1", Qty: 50}), nil); err != nil {
			t.Errorf("order without a stock limit: %v", err)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for name, bad := range map[string]*store.PlacedOrder{
			"no ID":    {Pack: "p", Body: json.RawMessage(`{}`)},
			"bad body": {ID: "o_b", Pack: "p", Body: json.RawMessage(`{`)},
			"zero qty": {ID: "o_z", Pack: "p", Body: json.RawMessage(`{}`), Lines: []store.StockLine{{SKU: "A", Qty: 0}}},
		} {
			if err := o.PlaceOrder(ctx, bad, nil); err == nil {
				t.Errorf("%s: placed", name)
			}
		}
	})
	t.Run("never sold twice", func(t *testing.T) {
		var placed atomic.Int32
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := o.PlaceOrder(ctx, order(fmt.Sprintf("o_race_%d", i), store.StockLine{SKU: "WL-0505", Qty: 1}), stock)
				switch {
				case err == nil:
					placed.Add(1)
				case !errors.Is(err, store.ErrOutOfStock):
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := placed.Load(); n != 6 {
			t.Errorf("%d concurrent orders of one placed with 6 left, want 6", n)
		}
	})
	// Another node (the store opened again) counts the same stock.
	s.Close()
	taken, err := open(t).(store.Orders).StockTaken(ctx, "appliances")
	if err != nil || taken["WL-0505"] != 9 {
		t.Errorf("after reopen: %v, %v; want WL-0505 9 taken", taken, err)
	}
}
