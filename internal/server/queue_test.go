package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/jobs"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store/blobfs"
	"github.com/parleyhq/parley/store/sqlite"
)

// TestActionsThroughJetStream deposits a check with the queue on a real NATS JetStream server:
// the deposit reaches the bank's core system through the queue.
func TestActionsThroughJetStream(t *testing.T) {
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

	got := make(chan string, 4)
	core := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer core.Close()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Queue = config.Queue{Driver: "nats", URL: ns.ClientURL()}
	cfg.Webhooks = map[string]string{"bank_core": core.URL}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), cfg, server.Options{Stages: []perception.Stage{fakeCheck{}, mustStage(t, "text.nlu")}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	send := func(path, ctype string, body io.Reader) string {
		resp, err := http.Post(hs.URL+path, ctype, body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	var created struct{ ID string }
	json.Unmarshal([]byte(send("/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`))), &created)
	id := "/v1/conversations/" + created.ID + "/messages"
	send(id, "application/json", strings.NewReader(`{"text":"I want to deposit a check"}`))
	body, ct := multipartBody(t, nil, map[string][]byte{"image": pngHeader(10, 10)})
	send(id, ct, body)
	if r := send(id, "application/json", strings.NewReader(`{"text":"yes"}`)); !strings.Contains(r, "deposited") {
		t.Fatalf("no deposit: %s", r)
	}
	select {
	case b := <-got:
		if !strings.Contains(b, `"deposit"`) || !strings.Contains(b, created.ID) {
			t.Fatalf("core system got %s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the deposit did not reach the core system through JetStream")
	}
}

// countingCheck is recordingCheck that counts its readings too.
type countingCheck struct {
	recordingCheck
	reads atomic.Int32
}

func (c *countingCheck) Process(ctx context.Context, it media.Item, e perception.Expectation) ([]perception.Observation, error) {
	c.reads.Add(1)
	return c.fakeCheck.Process(ctx, it, e)
}

// TestPerceptionJobsThroughJetStream reads a check photo on a worker over the embedded store and
// a real NATS JetStream server: the node does not read the photo itself, the reply has the
// worker's amount, and the deposit is recorded once.
func TestPerceptionJobsThroughJetStream(t *testing.T) {
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

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Queue = config.Queue{Driver: "nats", URL: ns.ClientURL(), Stages: []string{"test.check"}, Wait: 20 * time.Second}
	node := &countingCheck{}
	srv, err := server.New(context.Background(), cfg, server.Options{Stages: []perception.Stage{node, mustStage(t, "text.nlu")}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())

	// The worker: its own handle on the same store and blob directory, its own queue connection.
	wq, err := server.OpenQueue(context.Background(), cfg.Queue)
	if err != nil {
		t.Fatal(err)
	}
	defer wq.Close()
	wst, err := sqlite.Open(context.Background(), filepath.Join(cfg.DataDir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer wst.Close()
	wblobs, err := blobfs.New(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	worker := &countingCheck{}
	w := &jobs.Worker{Stages: []perception.Stage{worker}, Results: wst, Blobs: wblobs}
	stop, _, err := w.Subscribe(context.Background(), wq, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	send := func(path, ctype string, body io.Reader) string {
		resp, err := http.Post(hs.URL+path, ctype, body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	var created struct{ ID string }
	json.Unmarshal([]byte(send("/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`))), &created)
	path := "/v1/conversations/" + created.ID + "/messages"
	send(path, "application/json", strings.NewReader(`{"text":"I want to deposit a check"}`))
	body, ct := multipartBody(t, nil, map[string][]byte{"image": pngHeader(10, 10)})
	if r := send(path, ct, body); !strings.Contains(r, "1,250.75") {
		t.Fatalf("the photo's reply lacks the worker's amount: %s", r)
	}
	if node.reads.Load() != 0 || worker.reads.Load() != 1 {
		t.Fatalf("node read %d, worker %d: want the photo read once, on the worker", node.reads.Load(), worker.reads.Load())
	}
	if r := send(path, "application/json", strings.NewReader(`{"text":"yes"}`)); !strings.Contains(r, "deposited") {
		t.Fatalf("no deposit: %s", r)
	}
	if n := node.actions.Load(); n != 1 {
		t.Errorf("the deposit was recorded %d times, want once", n)
	}
	res, err := wst.StageResults(context.Background(), created.ID)
	if err != nil || len(res) != 1 || res[0].Stage != "test.check" || res[0].StageVersion != "1" {
		t.Fatalf("stage results %+v, %v: want the worker's one", res, err)
	}
	// The timeline names the stage and version that read the amount.
	resp, err := http.Get(hs.URL + "/v1/conversations/" + created.ID + "/timeline")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tl struct {
		Points []struct {
			Facts []struct {
				Fact, Value, Stage, Origin string
				StageVersion               string `json:"stage_version"`
			} `json:"facts"`
		} `json:"points"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tl); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range tl.Points {
		for _, f := range p.Facts {
			if f.Fact == "amount" && f.Stage == "test.check" && f.StageVersion == "1" && f.Origin == "turn" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("the timeline does not name the stage that read the amount: %+v", tl)
	}
}
