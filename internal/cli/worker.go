package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parleyhq/parley/internal/logging"
	"github.com/parleyhq/parley/internal/server"
)

func init() {
	Register(&Command{Name: "worker", Summary: "deliver queued actions to their webhooks from NATS JetStream (--config)", Run: runWorker})
}

// runWorker takes actions off the shared queue and posts them to their webhooks, beside the
// servers, until interrupted.
func runWorker(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("worker", out)
	cfgPath := fs.String("config", "", "YAML config file (queue.driver must be nats)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, "", "")
	if err != nil {
		return err
	}
	if cfg.Queue.Driver != "nats" {
		return errors.New("a worker needs a shared queue: set queue.driver: nats and queue.url in the config")
	}
	q, err := server.OpenQueue(ctx, cfg.Queue)
	if err != nil {
		return err
	}
	defer q.Close()
	log, err := logging.New(os.Stderr, cfg.Log)
	if err != nil {
		return err
	}
	stop, err := q.Subscribe(ctx, "actions", server.DeliverActions(cfg.Webhooks, nil, nil))
	if err != nil {
		return err
	}
	defer stop()
	log.Info("parley worker delivering actions", "queue", cfg.Queue.URL, "webhooks", len(cfg.Webhooks))
	fmt.Fprintln(out, "worker running; interrupt to stop")
	<-ctx.Done()
	return nil
}
