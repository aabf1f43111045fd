package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
)

// cloudEndpoint is a chat-completions server whose mode (ok, error, hang, slow) the test sets.
func cloudEndpoint(t testing.TB, mode *atomic.Value, calls *atomic.Int32) *httptest.Server {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.Copy(io.Discard, r.Body) // read: only then does the server notice a client that gave up
		switch mode.Load().(string) {
		case "error":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(503)
			w.Write([]byte(`{"error":{"message":"unavailable"}}`))
			return
		case "hang":
			select { // until the client gives up (bounded, so a broken client fails the test instead of hanging it)
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		case "slow":
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "x", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": "Compound interest earns interest on interest."}}},
			"usage":   map[string]any{"prompt_tokens": 50, "completion_tokens": 8, "total_tokens": 58},
		})
	}))
	t.Cleanup(hs.Close)
	return hs
}

const openQuestion = "why does compound interest grow faster than simple interest over the years?"

func TestCloudRoutingThroughTheServer(t *testing.T) {
	var mode atomic.Value
	mode.Store("ok")
	var calls atomic.Int32
	cloud := cloudEndpoint(t, &mode, &calls)
	f := openaiFixture(t, func(c *config.Config) {
		c.Cloud.BaseURL, c.Cloud.Model = cloud.URL+"/v1", "m"
		c.Cloud.Deadline, c.Cloud.BreakAfter = 300*time.Millisecond, 2
	})
	c := sdk(f)
	ask := func() (string, string) {
		var raw *http.Response
		resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "bank", User: openai.String("bob"), Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(openQuestion)},
		}, option.WithResponseInto(&raw))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Choices[0].Message.Content, raw.Header.Get(server.ConversationHeader)
	}
	if text, id := ask(); !strings.Contains(text, "interest on interest") {
		_, out := f.json("GET", "/v1/conversations/"+id+"/decisions", nil)
		t.Fatalf("cloud answer not used: %q %v", text, out)
	}
	for _, m := range []string{"error", "hang", "slow"} {
		mode.Store(m)
		if text, _ := ask(); text == "" || strings.Contains(text, "interest on interest") {
			t.Fatalf("%s: %q", m, text)
		}
	}
	before := calls.Load()
	_, id := ask()
	if calls.Load() != before {
		t.Fatal("the breaker let a call through")
	}
	code, out := f.json("GET", "/v1/conversations/"+id+"/decisions", nil)
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	var reasons []string
	for _, d := range out["decisions"].([]any) {
		reasons = append(reasons, fmt.Sprint(d.(map[string]any)["route"], ": ", d.(map[string]any)["reason"]))
	}
	if len(reasons) != 5 || !strings.HasPrefix(reasons[0], "cloud: ") || !strings.Contains(reasons[1], "cloud failed") ||
		!strings.Contains(reasons[2], "deadline") || !slices.ContainsFunc(reasons, func(s string) bool { return strings.Contains(s, "breaker open") }) {
		t.Fatalf("decisions %q", reasons)
	}
}

// BenchmarkTurnWithCloud measures chat-completions turns that go to the cloud while the endpoint
// fails, hangs or is slow; it reports the 99th percentile, which must stay under one second, and
// fails if a turn fails.
func BenchmarkTurnWithCloud(b *testing.B) {
	for _, m := range []string{"ok", "error", "hang", "slow"} {
		b.Run(m, func(b *testing.B) {
			var mode atomic.Value
			mode.Store(m)
			var calls atomic.Int32
			cloud := cloudEndpoint(b, &mode, &calls)
			_, hs, _ := openaiServer(b, func(c *config.Config) {
				c.Cloud.BaseURL, c.Cloud.Model = cloud.URL+"/v1", "m"
				c.Cloud.BreakAfter = 1 << 30 // every turn meets the endpoint
				c.Cloud.Calls, c.Cloud.Tokens, c.Cloud.Budget = 0, 0, 0
			})
			c := sdkAt(hs.URL)
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
					Model: "bank", User: openai.String(fmt.Sprint("u", i%50)), Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(openQuestion)},
				})
				if err != nil || resp.Choices[0].Message.Content == "" {
					b.Fatalf("turn failed: %v", err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		})
	}
}
