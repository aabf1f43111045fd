package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/store"
)

// BenchmarkGetConversation reads one conversation through the HTTP handler on an open install
// and with a tenant's secret key (a cached key check plus the tenant check), to show what access
// control costs per request.
func BenchmarkGetConversation(b *testing.B) {
	for _, keyed := range []bool{false, true} {
		name := "open"
		if keyed {
			name = "key"
		}
		b.Run(name, func(b *testing.B) {
			t := &testing.T{}
			dir := b.TempDir()
			key := ""
			if keyed {
				cs := credentials(t, dir)
				key = newKey(t, cs, "acme", store.KeySecret)
				cs.Close()
			}
			f := newFixture(t, dir, server.Options{})
			code, body := f.call("POST", "/v1/conversations", key, map[string]string{"pack": "bank"})
			if code != 201 {
				b.Fatalf("%d %s", code, body)
			}
			var c struct{ ID string }
			json.Unmarshal(body, &c)
			h := f.srv.Handler()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest("GET", "/v1/conversations/"+c.ID, nil)
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
