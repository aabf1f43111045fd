package server_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/server"
)

// TestOrdersFileImportedOnce starts a server on a data directory holding an orders file of an
// older version: its orders are imported into the store once (the file renamed), count against
// stock, and a restart does not count them twice.
func TestOrdersFileImportedOnce(t *testing.T) {
	dir := t.TempDir()
	legacy := `{"id":"o_old","pack":"appliances","name":"Ada","address":"1 Main St","items":[{"sku":"WL-0505","name":"Lid lock","qty":4,"price":34}],"total":136,"status":"placed","created_at":"2026-01-02T03:04:05Z"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "orders.jsonl"), []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	stock := func(f interface {
		json(string, string, any) (int, map[string]any)
	}) float64 {
		_, parts := f.json("GET", "/v1/packs/appliances/parts?format=json&order=WL-0505", nil)
		return parts["parts"].([]any)[0].(map[string]any)["stock"].(float64)
	}
	for i := range 2 { // a restart on the same data directory
		f := newFixture(t, dir, server.Options{})
		if code, got := f.json("GET", "/v1/orders/o_old", nil); code != 200 || got["total"].(float64) != 136 {
			t.Fatalf("start %d: imported order %d %v", i+1, code, got)
		}
		if s := stock(f); s != 5 {
			t.Fatalf("start %d: stock %v after the imported order of 4 from 9, want 5", i+1, s)
		}
		if _, err := os.Stat(filepath.Join(dir, "orders.jsonl.imported")); err != nil {
			t.Fatalf("start %d: the imported file was not set aside: %v", i+1, err)
		}
	}
	// Orders placed at once never take more than is left.
	f := newFixture(t, dir, server.Options{})
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _ := f.json("POST", "/v1/orders", map[string]any{"pack": "appliances", "name": "Bo", "address": "2 Main St",
				"items": []map[string]any{{"sku": "WL-0505", "qty": 1}}})
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[201] != 5 || codes[409] != 3 || stock(f) != 0 {
		t.Fatalf("8 orders of one with 5 left: %v, stock %v; want 5 placed and 3 refused", codes, stock(f))
	}
}
