package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/store/sqlite"
	"github.com/parleyhq/parley/store/storetest"
)

// BenchmarkDashboardFirstPaint100k measures what the dashboard needs before it paints its charts
// over a store of 100,000 generated conversations: the page and its script, the totals
// (GET /v1/stats) and the server-drawn charts (GET /v1/stats/charts), one after the other (the
// browser fetches the last two at once, so this is an upper bound on the server's part).
func BenchmarkDashboardFirstPaint100k(b *testing.B) {
	dir := b.TempDir()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"))
	if err != nil {
		b.Fatal(err)
	}
	ts := storetest.GenerateTraffic(100000, 1, storetest.BenchTrafficEnd.Add(-storetest.BenchTrafficSpan), storetest.BenchTrafficSpan)
	if err := storetest.StoreTraffic(ctx, db, ts, 256); err != nil {
		b.Fatal(err)
	}
	db.Close()
	f := newFixture(&testing.T{}, dir, server.Options{})
	h := f.srv.Handler()
	get := func(b *testing.B, path string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
	}
	for _, r := range []struct{ name, query string }{
		{"day-hourly", "from=2026-03-30&to=2026-03-31&bucket=hour"},
		{"week-hourly", "from=2026-03-24&to=2026-03-31&bucket=hour"},
		{"month-daily", "from=2026-03-01&to=2026-03-31&bucket=day"},
	} {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				get(b, "/dashboard.html")
				get(b, "/dashboard.js")
				get(b, "/v1/stats?"+r.query)
				get(b, "/v1/stats/charts?"+r.query)
			}
		})
	}
}
