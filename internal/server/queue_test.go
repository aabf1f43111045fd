package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/perception"
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
