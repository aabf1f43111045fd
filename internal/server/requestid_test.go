package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/guard"
	"github.com/parleyhq/parley/internal/logging"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// syncBuffer is a bytes.Buffer the server's goroutines may write log lines to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns the lines written so far and empties the buffer.
func (b *syncBuffer) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(&b.buf)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	b.buf.Reset()
	return out
}

// muteSpeaker fails every synthesis, as a speech model that cannot load does.
type muteSpeaker struct{}

func (muteSpeaker) Speak(context.Context, string, dialogue.Style) ([]byte, string, error) {
	return nil, "", errors.New("voice model missing")
}

// guarded is a server behind the whole guard, logging JSON into the returned buffer; its only
// stage fails every audio part and its speaker fails every reply, so a spoken turn logs both.
func guarded(t *testing.T) (*httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	log, err := logging.New(logs, config.Log{Level: "debug", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Limits.AudioBytes = 1 << 20
	srv, err := server.New(context.Background(), cfg, server.Options{
		Logger:  log,
		Speaker: muteSpeaker{},
		Stages:  []perception.Stage{deafStage{fmt.Errorf("decode: %w", media.ErrCorrupt)}, mustStage(t, "text.nlu")},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(guard.Wrap(srv.Handler(), cfg, log))
	t.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
	return hs, logs
}

func TestRequestIDOnEveryLineOfATurn(t *testing.T) {
	hs, logs := guarded(t)
	resp, err := http.Post(hs.URL+"/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`))
	if err != nil {
		t.Fatal(err)
	}
	var conv struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&conv)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || conv.ID == "" {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	logs.take()

	body, ct := multipartBody(t, map[string]string{"text": "hello"}, map[string][]byte{"audio": append([]byte("RIFF\x24\x00\x00\x00WAVE"), make([]byte, 64)...)})
	req, _ := http.NewRequest("POST", hs.URL+"/v1/conversations/"+conv.ID+"/messages", body)
	req.Header.Set("Content-Type", ct)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("turn: %d, request id %q", resp.StatusCode, id)
	}
	lines := logs.take()
	want := map[string]bool{"perception stage failed": false, "speech synthesis failed": false, "request": false}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not a JSON line: %s", l)
		}
		if rec["request_id"] != id {
			t.Errorf("line without the request id %s: %s", id, l)
		}
		if msg, _ := rec["msg"].(string); msg != "" {
			if _, ok := want[msg]; ok {
				want[msg] = true
			}
		}
	}
	for msg, seen := range want {
		if !seen {
			t.Errorf("no %q line among %d lines:\n%s", msg, len(lines), strings.Join(lines, "\n"))
		}
	}
}

func TestOpenAIErrorCarriesRequestID(t *testing.T) {
	hs, _ := guarded(t)
	req, _ := http.NewRequest("POST", hs.URL+"/v1/chat/completions", strings.NewReader(`{"model":"parley-bank","messages":[]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "req-from-client-0001")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode < 400 || out.Error.Code == "" {
		t.Fatalf("%d %+v", resp.StatusCode, out)
	}
	if got := resp.Header.Get("X-Request-Id"); out.Error.RequestID == "" || out.Error.RequestID != got {
		t.Fatalf("error body request_id %q, header %q", out.Error.RequestID, got)
	}
}
