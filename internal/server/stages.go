package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/jobs"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/backend"

	// The fault-video readers: every server runs them where a pack routes photos and video frames to
	// them (the appliances and telecom packs do).
	_ "github.com/parleyhq/parley/perception/display" // image.display: seven-segment error codes
	_ "github.com/parleyhq/parley/perception/label"   // image.label: model numbers on rating plates
	_ "github.com/parleyhq/parley/perception/lights"  // image.lights: indicator lights and blink patterns
	_ "github.com/parleyhq/parley/perception/sound"   // audio.sound: beeping, hum, grinding, silence
)

// Worker is a `parley worker`'s share of perception: the stages queue.stages names, built as a
// server builds them, over the store and blobs the servers share.
type Worker struct {
	*jobs.Worker
	store store.Store
	// Skipped lists the named stages that could not start here and why.
	Skipped map[string]error
}

// NewWorker opens the store and builds the stages cfg.Queue.Stages names. Metrics go to reg when
// it is not nil.
func NewWorker(ctx context.Context, cfg config.Config, log *slog.Logger, metrics *jobs.Metrics) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	names := jobs.Parse(cfg.Queue.Stages)
	if len(names) == 0 {
		return nil, errors.New("server: no perception stages to run as jobs: set queue.stages (e.g. [image.check])")
	}
	if log == nil {
		log = slog.Default()
	}
	var packFS fs.FS = packs.FS
	if cfg.PacksDir != "" {
		packFS = os.DirFS(cfg.PacksDir)
	}
	lib, err := kb.Load(packFS)
	if err != nil {
		return nil, err
	}
	st, blobs, err := backend.Open(ctx, backend.Config{Driver: cfg.Store.Driver, DSN: cfg.Store.DSN, DataDir: cfg.DataDir, Blobs: cfg.Store.Blobs})
	if err != nil {
		return nil, fmt.Errorf("server: store: %w", err)
	}
	results, ok := st.(store.StageResults)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("server: the %s store keeps no stage results", cfg.Store.Driver)
	}
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	env := perception.Env{ModelDir: cfg.ModelDir, DataDir: cfg.DataDir, Packs: lib, Options: cfg.StageOptions}
	stages, skipped, err := perception.Build(env, ids)
	if err != nil {
		st.Close()
		return nil, err
	}
	if len(stages) == 0 {
		st.Close()
		return nil, fmt.Errorf("server: none of the stages in queue.stages can run here: %v", skipped)
	}
	(&Server{store: st, log: log}).shareDeposits(ctx, stages)
	return &Worker{Worker: &jobs.Worker{Stages: stages, Results: results, Blobs: blobs, Limits: cfg.Limits, Metrics: metrics, Log: log},
		store: st, Skipped: skipped}, nil
}

// Close releases the stages and the store.
func (w *Worker) Close(ctx context.Context) error {
	var err error
	for _, s := range w.Stages {
		if c, ok := s.(perception.Closer); ok {
			err = errors.Join(err, c.Close(ctx))
		}
	}
	return errors.Join(err, w.store.Close())
}
