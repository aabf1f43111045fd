package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception"
)

// openaiServer is a server with the text stage only and a config the test may change first.
func openaiServer(tb testing.TB, change func(*config.Config)) (*server.Server, *httptest.Server, config.Config) {
	tb.Helper()
	cfg := config.Default()
	cfg.DataDir = tb.TempDir()
	cfg.Limits.ImageBytes = 1 << 20
	cfg.Limits.AudioBytes = 1 << 20
	if change != nil {
		change(&cfg)
	}
	opts := server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	lib, err := kb.Load(packs.FS)
	if err != nil {
		tb.Fatal(err)
	}
	stages, _, err := perception.Build(perception.Env{Packs: lib, DataDir: cfg.DataDir}, []string{"text.nlu"})
	if err != nil {
		tb.Fatal(err)
	}
	opts.Stages = stages
	srv, err := server.New(context.Background(), cfg, opts)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	tb.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
	return srv, hs, cfg
}

// openaiFixture is newFixture with a config the test may change first.
func openaiFixture(t *testing.T, change func(*config.Config)) *fixture {
	t.Helper()
	srv, hs, cfg := openaiServer(t, change)
	doc, err := openapi3.NewLoader().LoadFromData(mustGet(t, hs.URL+"/openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: hs.URL}}
	f := &fixture{t: t, srv: srv, http: hs, cfg: cfg}
	if f.router, err = gorillamux.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	return f
}

func mustGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func sdk(f *fixture) openai.Client { return sdkAt(f.http.URL) }

func sdkAt(base string) openai.Client {
	return openai.NewClient(option.WithBaseURL(base+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
}

func TestOpenAISDKTextConversation(t *testing.T) {
	f := openaiFixture(t, nil)
	c := sdk(f)
	ctx := context.Background()
	models, err := c.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range models.Data {
		ids = append(ids, m.ID)
	}
	if !strings.Contains(strings.Join(ids, ","), "bank") {
		t.Fatalf("models %v", ids)
	}
	var httpResp *http.Response
	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "bank",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("ignored"), openai.UserMessage("I want to deposit a check for $1,250.75")},
	}, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatal(err)
	}
	conv := httpResp.Header.Get(server.ConversationHeader)
	if conv == "" || len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("conversation %q, completion %+v", conv, resp)
	}
	if u := resp.Usage; u.PromptTokens != 13 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Fatalf("usage %+v", u)
	}
	// The header carries the conversation on: the second turn continues the deposit.
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "bank", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("yes")},
	}, option.WithHeader(server.ConversationHeader, conv))
	if err != nil {
		t.Fatal(err)
	}
	code, out := f.json("GET", "/v1/conversations/"+conv, nil)
	if code != 200 || len(out["messages"].([]any)) != 2 {
		t.Fatalf("%d %v", code, out["messages"])
	}
	if st := out["state"].(map[string]any); st["skill"] != "deposit_check" {
		t.Fatalf("state %v", st)
	}
	// `user` keeps one conversation per user and pack.
	var a, b *http.Response
	for _, into := range []**http.Response{&a, &b} {
		if _, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "bank", User: openai.String("alice@example.com"),
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("what are your opening hours")},
		}, option.WithResponseInto(into)); err != nil {
			t.Fatal(err)
		}
	}
	if id := a.Header.Get(server.ConversationHeader); id == "" || id != b.Header.Get(server.ConversationHeader) || id == conv {
		t.Fatalf("user conversations %q %q", id, b.Header.Get(server.ConversationHeader))
	}
}

func TestOpenAISDKStreaming(t *testing.T) {
	f := openaiFixture(t, nil)
	c := sdk(f)
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model: "bank", User: openai.String("streamer"),
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("what are your branch opening hours")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}
	stream := c.Chat.Completions.NewStreaming(ctx, params)
	acc := openai.ChatCompletionAccumulator{}
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if chunks < 4 || len(acc.Choices) != 1 || acc.Choices[0].FinishReason != "stop" {
		t.Fatalf("%d chunks, %+v", chunks, acc.ChatCompletion)
	}
	content := acc.Choices[0].Message.Content
	if !strings.Contains(strings.ToLower(content), "open") || acc.Usage.TotalTokens == 0 {
		t.Fatalf("content %q usage %+v", content, acc.Usage)
	}
	// The same question without streaming answers the same text.
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{}
	params.User = openai.String("plain")
	whole, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Choices[0].Message.Content != content || whole.Usage.TotalTokens != acc.Usage.TotalTokens {
		t.Fatalf("streamed %q, whole %q", content, whole.Choices[0].Message.Content)
	}
	// On the wire: data: lines, the usage chunk with no choices, then [DONE].
	body := `{"model":"bank","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello"}]}`
	resp, err := http.Post(f.http.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			if !strings.HasPrefix(line, "data: ") {
				t.Fatalf("not an SSE data line: %q", line)
			}
			events = append(events, strings.TrimPrefix(line, "data: "))
		}
	}
	if n := len(events); n < 4 || events[n-1] != "[DONE]" || !strings.Contains(events[n-2], `"choices":[]`) || !strings.Contains(events[n-2], `"usage"`) {
		t.Fatalf("events %q", events)
	}
}

// wav is a short silent 16 kHz mono WAV file.
func wav(samples int) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+samples*2))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, []any{uint32(16), uint16(1), uint16(1), uint32(16000), uint32(32000), uint16(2), uint16(16)})
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(samples*2))
	b.Write(make([]byte, samples*2))
	return b.Bytes()
}

func TestOpenAISDKMediaParts(t *testing.T) {
	img := photo(t)
	images := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(img)
	}))
	defer images.Close()
	f := openaiFixture(t, func(c *config.Config) { c.OpenAI.ImageURLHosts = []string{"127.0.0.1"} })
	c := sdk(f)
	dataURL := "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)
	audio := base64.StdEncoding.EncodeToString(wav(8000))
	tests := []struct {
		name   string
		parts  []openai.ChatCompletionContentPartUnionParam
		status int
		code   string
		kinds  []string
	}{
		{"data url image", []openai.ChatCompletionContentPartUnionParam{openai.TextContentPart("here is my check"), openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: dataURL})}, 200, "", []string{"image"}},
		{"allowed http image", []openai.ChatCompletionContentPartUnionParam{openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: images.URL + "/check.png"})}, 200, "", []string{"image"}},
		{"wav audio", []openai.ChatCompletionContentPartUnionParam{openai.InputAudioContentPart(openai.ChatCompletionContentPartInputAudioInputAudioParam{Data: audio, Format: "wav"})}, 200, "", []string{"audio"}},
		{"refused http image", []openai.ChatCompletionContentPartUnionParam{openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "http://example.com/a.png"})}, 400, "image_url_not_allowed", nil},
		{"not an image", []openai.ChatCompletionContentPartUnionParam{openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("hello"))})}, 415, "unsupported_media_type", nil},
		{"bad base64", []openai.ChatCompletionContentPartUnionParam{openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64,@@@"})}, 400, "invalid_content", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var raw *http.Response
			_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: "bank", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(tc.parts)},
			}, option.WithResponseInto(&raw))
			if tc.status != 200 {
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Code != tc.code || apiErr.Message == "" {
					t.Fatalf("want %d %s, got %v", tc.status, tc.code, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, out := f.json("GET", "/v1/conversations/"+raw.Header.Get(server.ConversationHeader), nil)
			msg := out["messages"].([]any)[0].(map[string]any)
			parts, _ := msg["parts"].([]any)
			if len(parts) != len(tc.kinds) || parts[0].(map[string]any)["kind"] != tc.kinds[0] {
				t.Fatalf("stored parts %v", parts)
			}
		})
	}
}

func TestOpenAIErrors(t *testing.T) {
	f := openaiFixture(t, func(c *config.Config) { c.Limits.ImageBytes, c.Limits.AudioBytes = 1000, 1000 })
	big := `{"model":"bank","messages":[{"role":"user","content":"` + strings.Repeat("a", 1<<20) + `"}]}`
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"malformed json", `{"model":`, 400, "malformed_json"},
		{"two values", `{"model":"bank","messages":[{"role":"user","content":"hi"}]} {}`, 400, "malformed_json"},
		{"no model", `{"messages":[{"role":"user","content":"hi"}]}`, 400, "missing_model"},
		{"unknown model", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, 404, "model_not_found"},
		{"no messages", `{"model":"bank","messages":[]}`, 400, "missing_messages"},
		{"last is assistant", `{"model":"bank","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}`, 400, "invalid_messages"},
		{"bad role", `{"model":"bank","messages":[{"role":"robot","content":"hi"}]}`, 400, "invalid_role"},
		{"bad part type", `{"model":"bank","messages":[{"role":"user","content":[{"type":"video_url"}]}]}`, 400, "invalid_content"},
		{"content object", `{"model":"bank","messages":[{"role":"user","content":{"a":1}}]}`, 400, "invalid_content"},
		{"empty content", `{"model":"bank","messages":[{"role":"user","content":"  "}]}`, 400, "empty_message"},
		{"audio format", `{"model":"bank","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"flac"}}]}]}`, 400, "invalid_content"},
		{"image too large", `{"model":"bank","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,` + strings.Repeat("A", 4000) + `"}}]}]}`, 413, "too_large"},
		{"body too large", big, 413, "too_large"},
		{"unknown conversation", "header", 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if body == "header" {
				body = `{"model":"bank","messages":[{"role":"user","content":"hi"}]}`
			}
			req, _ := http.NewRequest("POST", f.http.URL+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tc.body == "header" {
				req.Header.Set(server.ConversationHeader, "c_nope")
			}
			code, raw := f.do(req)
			var out struct {
				Error struct{ Message, Type, Code string }
			}
			json.Unmarshal(raw, &out)
			if code != tc.status || out.Error.Code != tc.code || out.Error.Message == "" || out.Error.Type == "" {
				t.Fatalf("got %d %s", code, raw)
			}
		})
	}
	code, raw := f.do(mustRequest(t, "GET", f.http.URL+"/v1/models/nope"))
	if code != 404 || !bytes.Contains(raw, []byte("model_not_found")) {
		t.Fatalf("%d %s", code, raw)
	}
	code, raw = f.do(mustRequest(t, "GET", f.http.URL+"/v1/models/bank"))
	if code != 200 || !bytes.Contains(raw, []byte(`"owned_by":"parley"`)) {
		t.Fatalf("%d %s", code, raw)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
