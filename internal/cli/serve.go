package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/guard"
	"github.com/parleyhq/parley/internal/logging"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/wire"
	"github.com/parleyhq/parley/perception"
)

func init() {
	Register(&Command{Name: "serve", Summary: "serve the API and web chat (--addr, --data, --config, --check)", Run: runServe})
}

// loadConfig reads the config file and applies the common flags.
func loadConfig(path, addr, data string) (config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, err
	}
	if addr != "" {
		cfg.Addr = addr
	}
	if data != "" {
		cfg.DataDir = data
	}
	return cfg, cfg.Validate()
}

func runServe(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("serve", out)
	addr := fs.String("addr", "", "listen address (default :8080)")
	data := fs.String("data", "", "data directory (default ./data)")
	cfgPath := fs.String("config", "", "YAML config file")
	check := fs.Bool("check", false, "validate the config and exit")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, *addr, *data)
	if err != nil {
		return err
	}
	if *check {
		known := perception.Registered()
		for _, id := range cfg.Stages {
			if !slices.Contains(known, id) {
				return fmt.Errorf("config: stages: unknown stage %q (known: %s)", id, strings.Join(known, ", "))
			}
		}
		fmt.Fprintln(out, "config OK")
		return nil
	}
	log, err := logging.New(os.Stderr, cfg.Log)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, cfg, wire.Options(log))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		srv.Close(context.Background())
		return err
	}
	// The guard (request ids, access log, security headers, CORS, limits) is in front of everything.
	// CORS lists and live-call bounds are per tenant: the server names the tenant of a request.
	g := guard.New(cfg, log)
	g.TenantOf = func(r *http.Request) string {
		if t := srv.TenantOf(r); t != "" {
			return t
		}
		return guard.KeyOf(r)
	}
	hs := &http.Server{Handler: g.Handler(srv.Handler()), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("parley serving", "addr", ln.Addr().String(), "data", cfg.DataDir, "stages", srv.Stages())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		srv.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, srv.Close(sctx))
}
