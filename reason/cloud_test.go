package reason_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeCloud is a local server speaking the chat-completions protocol. Its mode says how it answers:
// ok, tool (asks for search_knowledge first), error (500), slow (Delay then ok), hang (never answers
// until the client goes), garbage (not JSON).
type fakeCloud struct {
	*httptest.Server
	mu       sync.Mutex
	mode     string
	Delay    time.Duration
	calls    atomic.Int32
	requests []map[string]any
}

func newFakeCloud(t testing.TB, mode string) *fakeCloud {
	f := &fakeCloud{mode: mode, Delay: 300 * time.Millisecond}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCloud) setMode(m string) { f.mu.Lock(); f.mode = m; f.mu.Unlock() }

func (f *fakeCloud) lastRequest() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return nil
	}
	return f.requests[len(f.requests)-1]
}

func (f *fakeCloud) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer k" {
		http.Error(w, `{"error":{"message":"bad path or key"}}`, 400)
		return
	}
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":{"message":%q}}`, err.Error())
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	mode := f.mode
	f.mu.Unlock()
	switch mode {
	case "error":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		w.Write([]byte(`{"error":{"message":"overloaded","type":"server_error"}}`))
		return
	case "garbage":
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"choices": [`))
		return
	case "hang":
		<-r.Context().Done()
		return
	case "slow":
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	msgs := req["messages"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)
	text := contentText(last["content"])
	stream, _ := req["stream"].(bool)
	if mode == "tool" && last["role"] == "user" {
		f.toolCall(w, stream)
		return
	}
	if last["role"] == "tool" {
		text = "from the article: " + firstLine(text)
	} else {
		text = "cloud says: " + text
	}
	if stream {
		w.Header().Set("Content-Type", "text/event-stream")
		for i, piece := range strings.SplitAfter(text, " ") {
			delta := map[string]any{"content": piece}
			if i == 0 {
				delta["role"] = "assistant"
			}
			sse(w, map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{map[string]any{"index": 0, "delta": delta}}})
		}
		sse(w, map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": "stop"}}})
		sse(w, map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{}, "usage": map[string]any{"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}})
		fmt.Fprint(w, "data: [DONE]\n\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "c1", "object": "chat.completion", "created": 1, "model": req["model"],
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": text}}},
		"usage": map[string]any{"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
	})
}

// toolCall asks for search_knowledge; streamed, its arguments arrive in two fragments.
func (f *fakeCloud) toolCall(w http.ResponseWriter, stream bool) {
	args := `{"query":"branch opening hours"}`
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "tool_calls", "message": map[string]any{
				"role": "assistant", "content": nil,
				"tool_calls": []any{map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "search_knowledge", "arguments": args}}},
			}}},
			"usage": map[string]any{"prompt_tokens": 30, "completion_tokens": 10, "total_tokens": 40},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(tc map[string]any, finish any) map[string]any {
		delta := map[string]any{}
		if tc != nil {
			delta["tool_calls"] = []any{tc}
		}
		return map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	sse(w, chunk(map[string]any{"index": 0, "id": "call_1", "type": "function", "function": map[string]any{"name": "search_knowledge", "arguments": args[:10]}}, nil))
	sse(w, chunk(map[string]any{"index": 0, "function": map[string]any{"arguments": args[10:]}}, nil))
	sse(w, chunk(nil, "tool_calls"))
	sse(w, map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{}, "usage": map[string]any{"prompt_tokens": 30, "completion_tokens": 10, "total_tokens": 40}})
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func sse(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "data: %s\n\n", b)
	w.(http.Flusher).Flush()
}

func contentText(c any) string {
	switch v := c.(type) {
	case string:
		return v
	case []any:
		var s []string
		for _, p := range v {
			if m, ok := p.(map[string]any); ok && m["type"] == "text" {
				s = append(s, m["text"].(string))
			}
		}
		return strings.Join(s, " ")
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
