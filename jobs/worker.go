package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/queue"
	"github.com/parleyhq/parley/store"
)

// Worker is the worker's side: it runs the jobs of its stages.
type Worker struct {
	Stages  []perception.Stage
	Results store.StageResults
	Blobs   store.Blobs
	// Limits bound what is read from a blob (media.DefaultLimits when zero).
	Limits  media.Limits
	Metrics *Metrics
	Log     *slog.Logger
}

// Subscribe subscribes the worker to the jobs of each of its stages that names allows (all
// when names is empty) and returns a stop for them all.
func (w *Worker) Subscribe(ctx context.Context, q queue.Queue, names map[string]bool) (stop func(), subjects []string, err error) {
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
	}
	for _, s := range w.Stages {
		if len(names) > 0 && !names[s.Name()] {
			continue
		}
		st, err := q.Subscribe(ctx, Subject(s.Name()), w.Handle)
		if err != nil {
			stop()
			return nil, nil, err
		}
		stops = append(stops, st)
		subjects = append(subjects, Subject(s.Name()))
	}
	return stop, subjects, nil
}

// Handle runs one job: a stored result acknowledges it at once; otherwise the stage reads the
// job's blobs and the result is stored before the job is acknowledged (Handle returns nil). A job
// for a stage or version this worker does not run fails, to be tried by another worker and in
// the end moved to the dead letters (the waiting node reads the message itself meanwhile).
func (w *Worker) Handle(ctx context.Context, data []byte) error {
	j, err := Decode(data)
	if err != nil {
		w.Metrics.done("", "bad")
		return err
	}
	s := w.stage(j.Stage)
	if s == nil {
		w.Metrics.done(j.Stage, "unknown_stage")
		return fmt.Errorf("jobs: this worker does not run stage %s", j.Stage)
	}
	if v := perception.VersionOf(s); v != j.StageVersion {
		w.Metrics.done(j.Stage, "other_version")
		return fmt.Errorf("jobs: job for %s version %s, this worker runs version %s", j.Stage, j.StageVersion, v)
	}
	if _, err := w.Results.StageResult(ctx, j.MessageID, j.Stage, j.StageVersion, j.Origin); err == nil {
		w.Metrics.done(j.Stage, "already_stored")
		return nil // redelivered after its result was stored: nothing to do
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	start := time.Now()
	w.log().Info("perception job started", "stage", j.Stage, "message", j.MessageID, "parts", len(j.Items))
	items, err := w.items(ctx, j)
	if err != nil {
		w.Metrics.done(j.Stage, "failed")
		return err
	}
	obs, err := Perform(ctx, s, items, j.Expect, w.Blobs)
	if err != nil {
		w.Metrics.done(j.Stage, "failed")
		return err
	}
	raw, err := json.Marshal(obs)
	if err != nil {
		return err
	}
	_, created, err := w.Results.PutStageResult(context.WithoutCancel(ctx), j.result(raw))
	if err != nil {
		w.Metrics.done(j.Stage, "failed")
		return err
	}
	w.Metrics.ran(j.Stage, time.Since(start))
	if created {
		w.Metrics.done(j.Stage, "stored")
	} else {
		w.Metrics.done(j.Stage, "already_stored")
	}
	w.log().Info("perception job done", "stage", j.Stage, "message", j.MessageID, "observations", len(obs), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (w *Worker) stage(name string) perception.Stage {
	for _, s := range w.Stages {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// items loads the job's blobs as perception items.
func (w *Worker) items(ctx context.Context, j *Job) ([]media.Item, error) {
	limits := w.Limits
	if limits == (media.Limits{}) {
		limits = media.DefaultLimits()
	}
	var items []media.Item
	for _, it := range j.Items {
		rc, err := w.Blobs.Open(ctx, it.Blob)
		if err != nil {
			return nil, fmt.Errorf("jobs: blob of part %d: %w", it.Part, err)
		}
		max := limits.MaxBytes(it.Kind)
		data, err := io.ReadAll(io.LimitReader(rc, max+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("jobs: blob of part %d: %w", it.Part, err)
		}
		if int64(len(data)) > max {
			return nil, fmt.Errorf("jobs: blob of part %d: %w", it.Part, media.ErrTooLarge)
		}
		items = append(items, media.Item{MessageID: j.MessageID, Part: it.Part, Kind: it.Kind, Modality: it.Modality,
			Data: data, ContentType: it.ContentType, Name: it.Name, Offset: it.Offset})
	}
	return items, nil
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}
