package reason_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/reason"
)

func library(t *testing.T) *kb.Library {
	t.Helper()
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func TestLocalFindsArticle(t *testing.T) {
	l := reason.NewLocal(library(t))
	tests := []struct{ pack, q, want string }{
		{"bank", "when are your branches open on saturday", "hours"},
		{"bank", "how much is the overdraft fee", "fees"},
		{"telecom", "when is my bill due", "billing"},
		{"appliances", "how long is the warranty on the motor", "warranty"},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			a, err := l.Respond(context.Background(), reason.Query{Pack: tc.pack, Text: tc.q})
			if err != nil || a.SourceID != tc.want || !a.Confident {
				t.Fatalf("got %+v, %v; want source %s", a, err, tc.want)
			}
		})
	}
	if _, err := l.Respond(context.Background(), reason.Query{Pack: "bank", Text: "zebra quantum"}); err == nil {
		t.Fatal("answered nonsense")
	}
}

// chatServer speaks the OpenAI chat-completions protocol; fail makes it return 500.
func chatServer(t *testing.T, fail *atomic.Bool, calls *atomic.Int32) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, `{"error":{"message":"bad request"}}`, 400)
			return
		}
		if fail.Load() {
			http.Error(w, `{"error":{"message":"overloaded"}}`, 500)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) < 2 {
			http.Error(w, `{"error":{"message":"bad json"}}`, 400)
			return
		}
		last := req.Messages[len(req.Messages)-1].Content
		json.NewEncoder(w).Encode(map[string]any{
			"id": "c1", "object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": "cloud says: " + last}}},
		})
	}))
}

func TestRouter(t *testing.T) {
	var fail atomic.Bool
	var calls atomic.Int32
	srv := chatServer(t, &fail, &calls)
	defer srv.Close()
	r := &reason.Router{
		Local:      reason.NewLocal(library(t)),
		Cloud:      &reason.OpenAI{BaseURL: srv.URL + "/v1", APIKey: "k", Model: "m"},
		BreakAfter: 2,
	}
	ctx := context.Background()
	a, err := r.Respond(ctx, reason.Query{Pack: "bank", Text: "what are the branch opening hours"})
	if err != nil || a.By != "local" || calls.Load() != 0 {
		t.Fatalf("confident local went to cloud: %+v %v", a, err)
	}
	a, err = r.Respond(ctx, reason.Query{Pack: "bank", Text: "explain compound interest to me"})
	if err != nil || a.By != "cloud" || !strings.Contains(a.Text, "compound interest") {
		t.Fatalf("open question not routed to cloud: %+v %v", a, err)
	}
	fail.Store(true)
	for i := 0; i < 2; i++ {
		a, _ = r.Respond(ctx, reason.Query{Pack: "bank", Text: "explain compound interest"})
		if a.By == "cloud" {
			t.Fatal("failed cloud answer returned")
		}
	}
	before := calls.Load()
	a, _ = r.Respond(ctx, reason.Query{Pack: "bank", Text: "explain compound interest"})
	if calls.Load() != before || !strings.Contains(a.Route, "breaker") {
		t.Fatalf("breaker did not open: calls %d->%d route %q", before, calls.Load(), a.Route)
	}
}
