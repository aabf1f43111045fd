package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	dto "github.com/prometheus/client_model/go"

	"github.com/parleyhq/parley/jobs"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/queue"
	"github.com/parleyhq/parley/queue/jetstream"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/blobfs"
	"github.com/parleyhq/parley/store/sqlite"
)

// reader is a stage that "reads" an image as the amount of its byte count, counting its runs; an
// image starting with "bad" fails, and one may be made to block until released.
type reader struct {
	runs    atomic.Int64
	version string
	block   chan struct{}
}

func (r *reader) Name() string              { return "image.check" }
func (r *reader) Version() string           { return r.version }
func (r *reader) Accepts(k media.Kind) bool { return k == media.Image }
func (r *reader) Process(ctx context.Context, it media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	r.runs.Add(1)
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if bytes.HasPrefix(it.Data, []byte("bad")) {
		return nil, errors.New("cannot decode the image")
	}
	return []perception.Observation{
		{Kind: perception.KindEntity, Slot: "amount", Value: float64(len(it.Data)), Confidence: 0.9},
		{Kind: perception.KindArtifact, Slot: "amount", Confidence: 1, Attachment: &perception.Attachment{Name: "amount.png", ContentType: "image/png", Data: []byte("crop")}},
	}, nil
}

// env is one store and blob directory shared by a node and its workers.
type env struct {
	st    *sqlite.SQLite
	blobs *blobfs.FS
	conv  string
	msg   *store.Message
}

func newEnv(t *testing.T, photos ...[]byte) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := blobfs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := &store.Conversation{Pack: "bank"}
	if err := st.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	msg := &store.Message{ConversationID: c.ID, Role: store.RoleCustomer}
	for _, p := range photos {
		ref, err := blobs.Put(ctx, bytes.NewReader(p), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		ref.Kind = string(media.Image)
		msg.Parts = append(msg.Parts, ref)
	}
	if msg, err = st.AddMessage(ctx, msg); err != nil {
		t.Fatal(err)
	}
	return &env{st: st, blobs: blobs, conv: c.ID, msg: msg}
}

// perceive runs a node's pipeline over the env's message with off taking the reader.
func (e *env) perceive(t *testing.T, ctx context.Context, stage perception.Stage, off *jobs.Offloader, photos ...[]byte) ([]perception.Observation, []error) {
	t.Helper()
	p := perception.NewPipeline(stage)
	p.Offload = off
	var items []media.Item
	for i, ph := range photos {
		items = append(items, media.Item{MessageID: e.msg.ID, Part: i + 1, Kind: media.Image, Modality: media.ModImage, Data: ph})
	}
	return p.Run(jobs.WithMessage(ctx, e.conv, e.msg.Parts), items, perception.Expectation{Images: []string{"image.check"}})
}

func amounts(obs []perception.Observation) []float64 {
	var out []float64
	for _, o := range obs {
		if v, ok := o.Value.(float64); ok && o.Slot == "amount" && o.Kind == perception.KindEntity {
			out = append(out, v)
		}
	}
	return out
}

func TestJobRunsOnAWorkerOnce(t *testing.T) {
	photos := [][]byte{[]byte("photo-of-a-check"), []byte("bad photo")}
	e := newEnv(t, photos...)
	q := queue.NewMemory(queue.Options{MaxDeliver: 3, RetryDelay: 10 * time.Millisecond})
	defer q.Close()
	nodeStage, workerStage := &reader{version: "2"}, &reader{version: "2"}
	w := &jobs.Worker{Stages: []perception.Stage{workerStage}, Results: e.st, Blobs: e.blobs, Metrics: jobs.NewMetrics(nil)}
	stop, subjects, err := w.Subscribe(context.Background(), q, nil)
	if err != nil || len(subjects) != 1 || subjects[0] != "perception.image.check" {
		t.Fatalf("Subscribe = %v, %v", subjects, err)
	}
	defer stop()
	off := &jobs.Offloader{Queue: q, Results: e.st, Blobs: e.blobs, Stages: map[string]bool{"image.check": true}, Wait: 10 * time.Second}

	obs, errs := e.perceive(t, context.Background(), nodeStage, off, photos...)
	if got := amounts(obs); len(got) != 1 || got[0] != float64(len(photos[0])) {
		t.Fatalf("amounts %v, want [%d] (obs %+v)", got, len(photos[0]), obs)
	}
	var se *perception.StageError
	if len(errs) != 1 || !errors.As(errs[0], &se) || se.Part != 2 {
		t.Errorf("errors %v, want the bad photo's (part 2) from the worker", errs)
	}
	for _, o := range obs {
		if o.StageVersion != "2" || o.Source.MessageID != e.msg.ID || o.Source.Stage != "image.check" {
			t.Errorf("observation %+v: want version 2, message %s, stage image.check", o, e.msg.ID)
		}
		if a := o.Attachment; a != nil && a.URL == "" {
			t.Errorf("the worker's crop was not stored: %+v", a)
		}
	}
	if nodeStage.runs.Load() != 0 || workerStage.runs.Load() != 2 {
		t.Errorf("node ran %d, worker %d; want the worker to read both parts once", nodeStage.runs.Load(), workerStage.runs.Load())
	}
	// The turn redone (same expectation) reuses the stored result: no second job.
	if obs, _ = e.perceive(t, context.Background(), nodeStage, off, photos...); len(amounts(obs)) != 1 || workerStage.runs.Load() != 2 {
		t.Errorf("a redone turn ran the stage again (worker runs %d)", workerStage.runs.Load())
	}
	res, err := e.st.StageResults(context.Background(), e.conv)
	if err != nil || len(res) != 1 || res[0].StageVersion != "2" || res[0].Origin[:4] != "job:" {
		t.Fatalf("stage results %+v, %v; want one job result of version 2", res, err)
	}
}

func TestRedeliveredJobIsNotRunAgain(t *testing.T) {
	photo := []byte("photo")
	e := newEnv(t, photo)
	var published [][]byte
	var mu sync.Mutex
	q := &recording{Memory: queue.NewMemory(queue.Options{}), published: func(b []byte) { mu.Lock(); published = append(published, b); mu.Unlock() }}
	defer q.Close()
	st := &reader{version: "1"}
	w := &jobs.Worker{Stages: []perception.Stage{st}, Results: e.st, Blobs: e.blobs}
	stop, _, err := w.Subscribe(context.Background(), q, map[string]bool{"image.check": true})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	off := &jobs.Offloader{Queue: q, Results: e.st, Blobs: e.blobs, Stages: map[string]bool{"image.check": true}}
	if obs, _ := e.perceive(t, context.Background(), &reader{version: "1"}, off, photo); len(amounts(obs)) != 1 {
		t.Fatalf("no reading: %+v", obs)
	}
	// The same job delivered again (a worker that stored the result died before its ack).
	for range 3 {
		if err := w.Handle(context.Background(), published[0]); err != nil {
			t.Fatal(err)
		}
	}
	if st.runs.Load() != 1 {
		t.Errorf("the stage ran %d times for one job delivered four times, want once", st.runs.Load())
	}
	// A worker of another version refuses the job, so that it is retried elsewhere.
	if err := (&jobs.Worker{Stages: []perception.Stage{&reader{version: "9"}}, Results: e.st, Blobs: e.blobs}).Handle(context.Background(), published[0]); err == nil {
		t.Error("a worker running version 9 accepted a job for version 1")
	}
	if err := w.Handle(context.Background(), []byte(`{"stage":"image.check"}`)); !errors.Is(err, jobs.ErrBadJob) {
		t.Errorf("a job without message = %v, want ErrBadJob", err)
	}
}

// recording is a memory queue that also hands each published job to a function.
type recording struct {
	*queue.Memory
	published func([]byte)
}

func (r *recording) Publish(ctx context.Context, subject string, data []byte) error {
	r.published(data)
	return r.Memory.Publish(ctx, subject, data)
}

func TestNoWorkerInTimeReadsHere(t *testing.T) {
	photo := []byte("a photo")
	e := newEnv(t, photo)
	q := queue.NewMemory(queue.Options{})
	defer q.Close()
	m := jobs.NewMetrics(nil)
	off := &jobs.Offloader{Queue: q, Results: e.st, Blobs: e.blobs, Stages: map[string]bool{"image.check": true}, Wait: 150 * time.Millisecond, Metrics: m}
	node := &reader{version: "1"}
	start := time.Now()
	obs, _ := e.perceive(t, context.Background(), node, off, photo)
	if len(amounts(obs)) != 1 || node.runs.Load() != 1 {
		t.Fatalf("no reading here after the wait: %+v (node runs %d)", obs, node.runs.Load())
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v, want about the 150 ms wait", d)
	}
	// A worker starting late finds the job's result stored and does not read again.
	late := &reader{version: "1"}
	w := &jobs.Worker{Stages: []perception.Stage{late}, Results: e.st, Blobs: e.blobs, Metrics: m}
	stop, _, err := w.Subscribe(context.Background(), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	deadline := time.Now().Add(5 * time.Second)
	for testutilCount(m) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if late.runs.Load() != 0 || testutilCount(m) != 1 {
		t.Errorf("late worker ran %d times (handled %v), want the stored result acked", late.runs.Load(), testutilCount(m))
	}
}

func testutilCount(m *jobs.Metrics) float64 {
	var d dto.Metric
	if err := m.Done.WithLabelValues("image.check", "already_stored").Write(&d); err != nil {
		return 0
	}
	return d.GetCounter().GetValue()
}

// TestJobsThroughJetStream runs the job on a real NATS JetStream server with a worker killed
// mid-job: the job comes back after AckWait to the other worker and is read once in effect.
func TestJobsThroughJetStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS JetStream server; skipped under -short")
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, NoLog: true, NoSigs: true, JetStream: true, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	open := func() *jetstream.JetStream {
		q, err := jetstream.Open(context.Background(), jetstream.Config{URL: ns.ClientURL(), AckWait: time.Second,
			Options: queue.Options{MaxDeliver: 3, RetryDelay: 50 * time.Millisecond, DeadLetter: "dead"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		return q
	}
	photo := []byte("photo-through-nats")
	e := newEnv(t, photo)

	// The first worker takes the job and hangs (as if killed: no ack); its connection is then
	// closed, and the second worker gets the job after AckWait.
	hung := &reader{version: "1", block: make(chan struct{})}
	qa := open()
	stopA, _, err := (&jobs.Worker{Stages: []perception.Stage{hung}, Results: e.st, Blobs: e.blobs}).Subscribe(context.Background(), qa, nil)
	if err != nil {
		t.Fatal(err)
	}
	node := open()
	off := &jobs.Offloader{Queue: node, Results: e.st, Blobs: e.blobs, Stages: map[string]bool{"image.check": true}, Wait: 20 * time.Second}
	got := make(chan []perception.Observation, 1)
	go func() { obs, _ := e.perceive(t, context.Background(), &reader{version: "1"}, off, photo); got <- obs }()
	for hung.runs.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	healthy := &reader{version: "1"}
	stopB, _, err := (&jobs.Worker{Stages: []perception.Stage{healthy}, Results: e.st, Blobs: e.blobs}).Subscribe(context.Background(), open(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stopB()
	select {
	case obs := <-got:
		if a := amounts(obs); len(a) != 1 || a[0] != float64(len(photo)) {
			t.Fatalf("amounts %v", a)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the job was not redelivered to the second worker")
	}
	close(hung.block) // the first worker comes back: its result is not the one stored
	stopA()
	if healthy.runs.Load() != 1 {
		t.Errorf("second worker ran %d times, want 1", healthy.runs.Load())
	}
	res, _ := e.st.StageResults(context.Background(), e.conv)
	if len(res) != 1 {
		t.Errorf("%d stage results, want 1", len(res))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"conversation_id":"c","message_id":"m","stage":"image.check","stage_version":"1","origin":"job:00000000","items":[{"part":1,"kind":"image","blob":"` + string(bytes.Repeat([]byte("a"), 64)) + `"}]}`))
	f.Add([]byte(`{"stage":"a..b"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := jobs.Decode(data)
		if err != nil {
			if !errors.Is(err, jobs.ErrBadJob) {
				t.Fatalf("error %v is not ErrBadJob", err)
			}
			return
		}
		again, err := j.Encode()
		if err != nil {
			t.Fatalf("a decoded job does not encode: %v", err)
		}
		if _, err := jobs.Decode(again); err != nil {
			t.Fatalf("an encoded job does not decode: %v", err)
		}
	})
}
