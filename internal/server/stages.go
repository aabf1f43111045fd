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

// Perception is the perception stages a tool runs outside a server (a worker, a replay), built
// as a server builds them, over the store and blobs the servers share.
type Perception struct {
	Store   store.Store
	Results store.StageResults
	Blobs   store.Blobs
	Stages  []perception.Stage
	// Skipped lists the stages that could not start here and why.
	Skipped map[string]error
}

// OpenPerception opens the store cfg names and builds the stages ids names (every registered one
// when ids is empty).
func OpenPerception(ctx context.Context, cfg config.Config, ids []string, log *slog.Logger) (*Perception, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
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
	env := perception.Env{ModelDir: cfg.ModelDir, DataDir: cfg.DataDir, Packs: lib, Options: cfg.StageOptions}
	stages, skipped, err := perception.Build(env, ids)
	if err != nil {
		st.Close()
		return nil, err
	}
	if len(stages) == 0 {
		st.Close()
		return nil, fmt.Errorf("server: none of the stages %v can run here: %v", ids, skipped)
	}
	(&Server{store: st, log: log}).shareDeposits(ctx, stages)
	return &Perception{Store: st, Results: results, Blobs: blobs, Stages: stages, Skipped: skipped}, nil
}

// Close releases the stages and the store.
func (p *Perception) Close(ctx context.Context) error {
	var err error
	for _, s := range p.Stages {
		if c, ok := s.(perception.Closer); ok {
			err = errors.Join(err, c.Close(ctx))
		}
	}
	return errors.Join(err, p.Store.Close())
}

// Worker is a `parley worker`'s share of perception: the stages queue.stages names.
type Worker struct {
	*jobs.Worker
	*Perception
}

// NewWorker opens the store and builds the stages cfg.Queue.Stages names; the jobs' metrics go
// to metrics (none when nil).
func NewWorker(ctx context.Context, cfg config.Config, log *slog.Logger, metrics *jobs.Metrics) (*Worker, error) {
	names := jobs.Parse(cfg.Queue.Stages)
	if len(names) == 0 {
		return nil, errors.New("server: no perception stages to run as jobs: set queue.stages (e.g. [image.check])")
	}
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	p, err := OpenPerception(ctx, cfg, ids, log)
	if err != nil {
		return nil, err
	}
	return &Worker{Worker: &jobs.Worker{Stages: p.Stages, Results: p.Results, Blobs: p.Blobs, Limits: cfg.Limits, Metrics: metrics, Log: log},
		Perception: p}, nil
}
