package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/wire"
)

// startWebServer starts the real Parley server in-process on a loopback port, with the embedded
// defaults and a fresh data directory, and returns its base URL and the server.
func startWebServer(t *testing.T) (string, *server.Server) {
	t.Helper()
	return serveData(t, t.TempDir())
}

// serveData serves the data directory dir (a store a test may have filled) with the default
// config and the standard components, and returns the server's URL.
func serveData(t *testing.T, dir string) (string, *server.Server) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tw := &webLogWriter{t: t}
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(tw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	opts := wire.Options(logger)
	s, err := server.New(t.Context(), cfg, opts)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		defer tw.stop()
		hs.CloseClientConnections()
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("server close: %v", err)
		}
	})
	return hs.URL, s
}

// webLogWriter sends server logs to the test log until the test is over; work that outlives the
// test (a connection still closing) must not log to a finished test.
type webLogWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *webLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(p))
	}
	return len(p), nil
}

// stop ends logging to the test.
func (w *webLogWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
