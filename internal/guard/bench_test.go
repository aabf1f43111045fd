package guard

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/config"
)

// BenchmarkGuard is the guard's cost per API request (id, headers, two rate buckets, access line
// below the log level).
func BenchmarkGuard(b *testing.B) {
	cfg := config.Default()
	cfg.Guard.Key = config.Rate{PerSecond: 1e9, Burst: 1e9}
	cfg.Guard.Address = config.Rate{PerSecond: 1e9, Burst: 1e9}
	h := Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), cfg, nil)
	req := httptest.NewRequest("GET", "/v1/conversations/c_1", nil)
	req.Header.Set("Authorization", "Bearer k")
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
