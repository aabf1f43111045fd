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
	Register(&Command{Name: "worker", Summary: "run queued perception jobs and deliver queued actions from NATS JetStream (--config)", Run: runWorker})
}

// runWorker takes actions off the shared queue and posts them to their webhooks, and runs the
// perception jobs of the stages queue.stages names, beside the servers, until interrupted.
func runWorker(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("worker", out)
	cfgPath := fs.String("config", "", "YAML config file (queue.driver must be nats)")
	data := fs.String("data", "", "data directory (the servers' store and blobs when they are on this machine)")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics of the jobs at this address (e.g. 127.0.0.1:9101)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, "", *data)
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
	if len(cfg.Queue.Stages) > 0 {
		stopJobs, err := runPerceptionJobs(ctx, cfg, q, log, *metricsAddr)
		if err != nil {
			return err
		}
		defer stopJobs()
	}
	log.Info("parley worker delivering actions", "queue", cfg.Queue.URL, "webhooks", len(cfg.Webhooks))
	fmt.Fprintln(out, "worker running; interrupt to stop")
	<-ctx.Done()
	return nil
}
