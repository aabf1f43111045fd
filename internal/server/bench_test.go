package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/internal/server"
)

// BenchmarkTextTurn measures a text turn end to end through the HTTP handler (stored durably,
// perception, dialogue, reply stored), over many conversations in parallel.
func BenchmarkTextTurn(b *testing.B) {
	t := &testing.T{}
	f := newFixture(t, b.TempDir(), server.Options{})
	h := f.srv.Handler()
	ids := make([]string, 256)
	for i := range ids {
		ids[i] = f.conversation("bank")
	}
	texts := [][]byte{
		[]byte(`{"text":"I want to dispute a charge of $42.10"}`),
		[]byte(`{"text":"It was from QuickMart"}`),
		[]byte(`{"text":"what are your opening hours"}`),
		[]byte(`{"text":"how much money do I have"}`),
	}
	var n atomic.Int64
	b.SetParallelism(64) // many customers at once, as in production
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req := httptest.NewRequest("POST", "/v1/conversations/"+ids[i%int64(len(ids))]+"/messages", bytes.NewReader(texts[i%4]))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
}
