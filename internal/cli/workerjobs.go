package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/jobs"
	"github.com/parleyhq/parley/queue"
)

// runPerceptionJobs builds the stages queue.stages names and runs their jobs off q; with
// metricsAddr set it serves the jobs' metrics there. The returned stop waits for a running job.
func runPerceptionJobs(ctx context.Context, cfg config.Config, q queue.Queue, log *slog.Logger, metricsAddr string) (func(), error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	w, err := server.NewWorker(ctx, cfg, log, jobs.NewMetrics(reg))
	if err != nil {
		return nil, err
	}
	for id, why := range w.Skipped {
		log.Warn("perception stage unavailable on this worker", "stage", id, "why", why)
	}
	stop, subjects, err := w.Subscribe(ctx, q, nil)
	if err != nil {
		w.Close(context.Background())
		return nil, err
	}
	var hs *http.Server
	if metricsAddr != "" {
		ln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			stop()
			w.Close(context.Background())
			return nil, err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		hs = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Warn("metrics server stopped", "err", err)
			}
		}()
	}
	log.Info("parley worker running perception jobs", "subjects", subjects)
	return func() {
		stop()
		if hs != nil {
			hs.Close()
		}
		w.Close(context.Background())
	}, nil
}
