package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/queue"
	"github.com/parleyhq/parley/store"
)

// DefaultWait is how long a node waits for a worker's result before running the stage itself.
const DefaultWait = 20 * time.Second

// Offloader is the node's side: a perception.Offloader that sends the stages it names to the
// queue and waits for their results in the store.
type Offloader struct {
	Queue   queue.Queue
	Results store.StageResults
	Blobs   store.Blobs
	// Stages names the stages that run as jobs.
	Stages map[string]bool
	// MinBytes keeps parts smaller than this in process (a short voice note is read faster here
	// than it travels); zero sends every part.
	MinBytes int
	// Wait bounds the wait for a worker (DefaultWait when zero); the turn's deadline bounds it too.
	Wait    time.Duration
	Metrics *Metrics
	Log     *slog.Logger
}

var _ perception.Offloader = (*Offloader)(nil)

// message is what a turn tells the offloader about the message being read.
type message struct {
	conversation string
	parts        map[int]store.BlobRef
}

type messageKey struct{}

// WithMessage returns a context that tells the offloader which conversation the message being
// perceived belongs to and where its parts are stored (parts[i] is part i+1). Without it nothing
// is offloaded.
func WithMessage(ctx context.Context, conversationID string, parts []store.BlobRef) context.Context {
	m := message{conversation: conversationID, parts: map[int]store.BlobRef{}}
	for i, p := range parts {
		m.parts[i+1] = p
	}
	return context.WithValue(ctx, messageKey{}, m)
}

func messageFrom(ctx context.Context) (message, bool) {
	m, ok := ctx.Value(messageKey{}).(message)
	return m, ok
}

// Takes reports whether stage s reads item through a job: a named stage, on a stored part of a
// message whose bytes are that part's own (not a frame cut from a video), at least MinBytes long.
func (o *Offloader) Takes(ctx context.Context, s perception.Stage, item media.Item) bool {
	if !o.Stages[s.Name()] || len(item.Data) < o.MinBytes {
		return false
	}
	m, ok := messageFrom(ctx)
	if !ok {
		return false
	}
	ref, ok := m.parts[item.Part]
	return ok && ref.Hash != "" && ref.Kind == string(item.Kind) && (ref.Size == 0 || ref.Size == int64(len(item.Data)))
}

// Run publishes the job of stage s on items and returns its result: one stored already, the
// worker's, or, when none came within the wait, the one this node makes itself.
func (o *Offloader) Run(ctx context.Context, s perception.Stage, items []media.Item, expect perception.Expectation) ([]perception.Observation, error) {
	m, _ := messageFrom(ctx)
	j := &Job{ConversationID: m.conversation, MessageID: items[0].MessageID, Stage: s.Name(),
		StageVersion: perception.VersionOf(s), Origin: Origin(expect), Expect: expect}
	for _, it := range items {
		j.Items = append(j.Items, Item{Part: it.Part, Kind: it.Kind, Modality: it.Modality, ContentType: it.ContentType,
			Name: it.Name, Offset: it.Offset, Blob: m.parts[it.Part].Hash})
	}
	if r, err := o.Results.StageResult(ctx, j.MessageID, j.Stage, j.StageVersion, j.Origin); err == nil {
		o.Metrics.reused(j.Stage)
		return DecodeObservations(r.Observations)
	}
	data, err := j.Encode()
	if err == nil {
		err = o.Queue.Publish(ctx, Subject(j.Stage), data)
	}
	if err != nil {
		o.log().Warn("perception job not queued; reading here", "stage", j.Stage, "message", j.MessageID, "err", err)
		return o.here(ctx, s, j, items, "unqueued")
	}
	o.Metrics.published(j.Stage)
	start := time.Now()
	r, err := o.await(ctx, j)
	o.Metrics.waited(j.Stage, time.Since(start))
	if err == nil {
		return DecodeObservations(r.Observations)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	o.log().Warn("no worker answered the perception job in time; reading here", "stage", j.Stage, "message", j.MessageID, "waited", time.Since(start).Round(time.Millisecond))
	return o.here(ctx, s, j, items, "timeout")
}

// await polls the store for the job's result, the interval growing from 20 ms to 500 ms.
func (o *Offloader) await(ctx context.Context, j *Job) (*store.StageResult, error) {
	wait := o.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	if dl, ok := ctx.Deadline(); ok {
		// keep a share of the turn for reading here and answering
		if left := time.Until(dl) * 2 / 3; left < wait {
			wait = left
		}
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	interval := 20 * time.Millisecond
	for {
		r, err := o.Results.StageResult(ctx, j.MessageID, j.Stage, j.StageVersion, j.Origin)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			o.log().Warn("stage result not read", "stage", j.Stage, "message", j.MessageID, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, fmt.Errorf("jobs: no result for %s on message %s within %v", j.Stage, j.MessageID, wait)
		case <-time.After(interval):
		}
		interval = min(interval*3/2, 500*time.Millisecond)
	}
}

// here runs the stage in this process and stores the result under the job's key; a result a
// worker stored first wins.
func (o *Offloader) here(ctx context.Context, s perception.Stage, j *Job, items []media.Item, why string) ([]perception.Observation, error) {
	o.Metrics.local(j.Stage, why)
	obs, err := Perform(ctx, s, items, j.Expect, o.Blobs)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(obs)
	if err != nil {
		return nil, err
	}
	stored, _, err := o.Results.PutStageResult(context.WithoutCancel(ctx), j.result(raw))
	if err != nil {
		o.log().Warn("stage result not stored", "stage", j.Stage, "message", j.MessageID, "err", err)
		return DecodeObservations(raw)
	}
	return DecodeObservations(stored.Observations)
}

func (o *Offloader) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.Default()
}

// Perform runs stage s on items (their bytes loaded) as a job does, and returns the observations
// to store: sources and version set, attachments (crops) stored as blobs, and each failure on a
// part as a perception.KindStageError observation.
func Perform(ctx context.Context, s perception.Stage, items []media.Item, expect perception.Expectation, blobs store.Blobs) ([]perception.Observation, error) {
	obs, errs := perception.NewPipeline(s).Run(ctx, items, expect)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range obs {
		a := obs[i].Attachment
		if a == nil || len(a.Data) == 0 || a.URL != "" {
			continue
		}
		ref, err := blobs.Put(ctx, bytes.NewReader(a.Data), int64(len(a.Data))+1)
		if err != nil {
			return nil, fmt.Errorf("jobs: store %s: %w", a.Name, err)
		}
		a.URL = "/v1/blobs/" + ref.Hash
	}
	for _, e := range errs {
		var se *perception.StageError
		if !errors.As(e, &se) {
			continue
		}
		obs = append(obs, perception.Observation{Kind: perception.KindStageError, Text: errorText(se.Err),
			StageVersion: perception.VersionOf(s),
			Source:       perception.Source{MessageID: items[0].MessageID, Part: se.Part, Stage: se.Stage, Modality: modalityOf(items, se.Part)}})
	}
	if obs == nil {
		obs = []perception.Observation{}
	}
	return obs, nil
}

func modalityOf(items []media.Item, part int) media.Modality {
	for _, it := range items {
		if it.Part == part {
			return it.Modality
		}
	}
	return ""
}

// errorText keeps a stage error's message short enough to store.
func errorText(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// DecodeObservations parses stored observations. Values come back as JSON values (maps, numbers,
// strings), which is what the dialogue reads of a reading made elsewhere.
func DecodeObservations(raw json.RawMessage) ([]perception.Observation, error) {
	var obs []perception.Observation
	if err := json.Unmarshal(raw, &obs); err != nil {
		return nil, fmt.Errorf("jobs: stored observations: %w", err)
	}
	return obs, nil
}

// Parse reads a stages list as configured ("image.check, audio.asr").
func Parse(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				m[f] = true
			}
		}
	}
	return m
}
