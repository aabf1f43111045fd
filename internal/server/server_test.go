package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	_ "github.com/parleyhq/parley/perception/text"
)

// fixture is a server on a temp data dir with the text stage only, and a client that validates
// every response against the OpenAPI spec.
type fixture struct {
	t      *testing.T
	srv    *server.Server
	http   *httptest.Server
	cfg    config.Config
	router routers.Router
}

func newFixture(t *testing.T, dataDir string, opts server.Options) *fixture {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.Limits.ImageBytes = 1 << 20
	cfg.Webhooks = map[string]string{"bank_core": "http://127.0.0.1:1/core"}
	if opts.Logger == nil && !testing.Verbose() {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Stages == nil {
		lib := mustPacks(t)
		stages, _, err := perception.Build(perception.Env{Packs: lib, DataDir: dataDir}, []string{"text.nlu"})
		if err != nil || len(stages) != 1 {
			t.Fatalf("text stage: %v", err)
		}
		opts.Stages = stages
	}
	srv, err := server.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
	f := &fixture{t: t, srv: srv, http: hs, cfg: cfg}
	resp, err := http.Get(hs.URL + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: hs.URL}}
	if f.router, err = gorillamux.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	return f
}

// do sends a request and checks the response against the spec; it returns status and body.
func (f *fixture) do(req *http.Request) (int, []byte) {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	route, params, err := f.router.FindRoute(req)
	if err != nil {
		f.t.Fatalf("%s %s is not in the spec: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		f.t.Errorf("%s %s -> %d does not match the spec: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp.StatusCode, body
}

func (f *fixture) json(method, path string, body any) (int, map[string]any) {
	f.t.Helper()
	var r io.Reader
	if s, ok := body.(string); ok {
		r = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.http.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	code, raw := f.do(req)
	var out map[string]any
	json.Unmarshal(raw, &out)
	return code, out
}

func (f *fixture) conversation(pack string) string {
	code, out := f.json("POST", "/v1/conversations", map[string]string{"pack": pack})
	if code != 201 {
		f.t.Fatalf("create: %d %v", code, out)
	}
	return out["id"].(string)
}

func TestTextTurnFillsSlotWithEvidence(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	id := f.conversation("bank")
	code, out := f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": "I want to deposit a check for $1,250.75"})
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	state := out["state"].(map[string]any)
	if state["skill"] != "deposit_check" {
		t.Fatalf("skill %v", state["skill"])
	}
	amount := state["slots"].(map[string]any)["amount"].(map[string]any)
	if amount["value"].(float64) != 1250.75 || amount["status"] != "proposed" {
		t.Fatalf("amount %v", amount)
	}
	ev := amount["evidence"].([]any)[0].(map[string]any)
	if ev["modality"] != "text" || ev["stage"] != "text.nlu" {
		t.Fatalf("evidence %v", ev)
	}
	_, conv := f.json("GET", "/v1/conversations/"+id, nil)
	if len(conv["messages"].([]any)) != 1 {
		t.Fatalf("messages %v", conv["messages"])
	}
}

func TestErrors(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	id := f.conversation("bank")
	tests := []struct {
		name        string
		path, ctype string
		body        string
		want        int
	}{
		{"malformed JSON", "/v1/conversations/" + id + "/messages", "application/json", "{bad", 400},
		{"unknown field", "/v1/conversations/" + id + "/messages", "application/json", `{"txt":"hi"}`, 400},
		{"empty message", "/v1/conversations/" + id + "/messages", "application/json", `{"text":"  "}`, 400},
		{"unknown conversation", "/v1/conversations/nope/messages", "application/json", `{"text":"hi"}`, 404},
		{"wrong media type", "/v1/conversations/" + id + "/messages", "text/plain", "hi", 415},
		{"unknown pack", "/v1/conversations", "application/json", `{"pack":"zoo"}`, 400},
		{"bad csat", "/v1/conversations/" + id + "/csat", "application/json", `{"score":9}`, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.http.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			code, body := f.do(req)
			if code != tc.want || !bytes.Contains(body, []byte(`"code"`)) {
				t.Fatalf("got %d %s, want %d", code, body, tc.want)
			}
		})
	}
	code, _ := f.json("GET", "/v1/conversations/nope", nil)
	if code != 404 {
		t.Fatalf("unknown conversation: %d", code)
	}
}

func multipartBody(t *testing.T, fields map[string]string, files map[string][]byte) (*bytes.Buffer, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for k, v := range files {
		fw, _ := w.CreateFormFile(k, k+".bin")
		fw.Write(v)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

// pngHeader is a PNG whose header declares w x h pixels.
func pngHeader(w, h uint32) []byte {
	data := []byte{'I', 'H', 'D', 'R', 0, 0, 0, 0, 0, 0, 0, 0, 8, 2, 0, 0, 0}
	binary.BigEndian.PutUint32(data[4:], w)
	binary.BigEndian.PutUint32(data[8:], h)
	out := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(data))
}

func TestUploadsLimitsAndNothingLost(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	id := f.conversation("bank")
	f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": "hello"})
	post := func(fields map[string]string, files map[string][]byte) int {
		body, ct := multipartBody(t, fields, files)
		req, _ := http.NewRequest("POST", f.http.URL+"/v1/conversations/"+id+"/messages", body)
		req.Header.Set("Content-Type", ct)
		code, _ := f.do(req)
		return code
	}
	if c := post(map[string]string{"text": "look"}, map[string][]byte{"image": pngHeader(50000, 50000)}); c != 413 {
		t.Errorf("image bomb: %d", c)
	}
	if c := post(nil, map[string][]byte{"image": bytes.Repeat([]byte{1}, 2<<20)}); c != 413 {
		t.Errorf("oversized image: %d", c)
	}
	if c := post(nil, map[string][]byte{"image": []byte("just some text, not a picture")}); c != 415 {
		t.Errorf("text as image: %d", c)
	}
	if c := post(nil, map[string][]byte{"sticker": []byte("x")}); c != 400 {
		t.Errorf("unknown part: %d", c)
	}
	_, conv := f.json("GET", "/v1/conversations/"+id, nil)
	if n := len(conv["messages"].([]any)); n != 1 {
		t.Fatalf("bad requests changed the conversation: %d messages", n)
	}
}

func TestIdempotencyAndRestart(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, dir, server.Options{})
	id := f.conversation("bank")
	send := func(f *fixture) map[string]any {
		req, _ := http.NewRequest("POST", f.http.URL+"/v1/conversations/"+id+"/messages", strings.NewReader(`{"text":"I lost my card"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "k1")
		code, body := f.do(req)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		var out map[string]any
		json.Unmarshal(body, &out)
		return out
	}
	a, b := send(f), send(f)
	if a["message_id"] != b["message_id"] {
		t.Fatalf("retry made a second message: %v vs %v", a["message_id"], b["message_id"])
	}
	f.http.Close()
	f.srv.Close(context.Background())
	g := newFixture(t, dir, server.Options{})
	_, conv := g.json("GET", "/v1/conversations/"+id, nil)
	if len(conv["messages"].([]any)) != 1 || conv["state"].(map[string]any)["skill"] != "lost_card" {
		t.Fatalf("after restart: %v", conv)
	}
	if c := send(g); c["message_id"] != a["message_id"] {
		t.Fatal("idempotency lost across restart")
	}
}

func TestHandoffCSATStatsAndEvents(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	id := f.conversation("bank")
	resp, err := http.Get(f.http.URL + "/v1/conversations/" + id + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 100)
	go func() {
		buf := make([]byte, 1<<16)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				events <- string(buf[:n])
			}
			if err != nil {
				close(events)
				return
			}
		}
	}()
	f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": "I want to dispute a charge of $42.10"})
	_, out := f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": "I want to talk to a human"})
	if !strings.Contains(out["reply"].(map[string]any)["parts"].([]any)[0].(map[string]any)["text"].(string), "person") {
		t.Fatalf("no handoff reply: %v", out["reply"])
	}
	_, q := f.json("GET", "/v1/handoffs", nil)
	hs := q["handoffs"].([]any)
	if len(hs) != 1 || !strings.Contains(hs[0].(map[string]any)["handoff"].(map[string]any)["summary"].(string), "42.1") {
		t.Fatalf("queue %v", q)
	}
	if c, _ := f.json("POST", "/v1/conversations/"+id+"/agent-reply", map[string]string{"text": "Hi, I'm Sam."}); c != 200 {
		t.Fatalf("agent reply %d", c)
	}
	if c, _ := f.json("POST", "/v1/conversations/"+id+"/csat", map[string]any{"score": 4}); c != 200 {
		t.Fatalf("csat %d", c)
	}
	_, st := f.json("GET", "/v1/stats", nil)
	if st["csat_average"].(float64) != 4 || st["conversations"].(float64) != 1 {
		t.Fatalf("stats %v", st)
	}
	var seen strings.Builder
	deadline := time.After(5 * time.Second)
	for !strings.Contains(seen.String(), "event: agent_reply") {
		select {
		case s := <-events:
			seen.WriteString(s)
		case <-deadline:
			t.Fatalf("events so far: %s", seen.String())
		}
	}
	for _, want := range []string{"event: message", "event: slot", "event: reply", "event: handoff", "event: state"} {
		if !strings.Contains(seen.String(), want) {
			t.Errorf("missing %q", want)
		}
	}
}

// speaker is a Speaker that records the style it was asked to speak with.
type speaker struct{ rates atomic.Int64 }

func (s *speaker) Speak(_ context.Context, text string, st dialogue.Style) ([]byte, string, error) {
	s.rates.Store(int64(st.RateWPM))
	return append([]byte("RIFF"), []byte(text)...), "audio/wav", nil
}

func TestWebhookAndSpokenReply(t *testing.T) {
	got := make(chan []byte, 1)
	sp := &speaker{}
	rec := &recordingCheck{}
	f := newFixture(t, t.TempDir(), server.Options{
		Speaker: sp,
		Webhook: func(_ context.Context, url string, payload []byte) error { got <- payload; return nil },
		Stages:  []perception.Stage{rec, mustStage(t, "text.nlu")},
	})
	id := f.conversation("bank")
	f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": "I'd like to deposit a check"})
	body, ct := multipartBody(t, nil, map[string][]byte{"image": pngHeader(10, 10)})
	req, _ := http.NewRequest("POST", f.http.URL+"/v1/conversations/"+id+"/messages", body)
	req.Header.Set("Content-Type", ct)
	if code, b := f.do(req); code != 200 || !strings.Contains(string(b), "$1,250.75") {
		t.Fatalf("%d %s", code, b)
	}
	// A spoken yes: the reply carries speech audio.
	body, ct = multipartBody(t, map[string]string{"text": "yes"}, map[string][]byte{"audio": append([]byte("RIFF\x24\x00\x00\x00WAVE"), make([]byte, 64)...)})
	req, _ = http.NewRequest("POST", f.http.URL+"/v1/conversations/"+id+"/messages", body)
	req.Header.Set("Content-Type", ct)
	code, b := f.do(req)
	if code != 200 || !strings.Contains(string(b), `"type":"audio"`) || sp.rates.Load() != 175 {
		t.Fatalf("%d %s rate %d", code, b, sp.rates.Load())
	}
	select {
	case p := <-got:
		if !strings.Contains(string(p), `"deposit"`) || !strings.Contains(string(p), "1250.75") {
			t.Fatalf("webhook payload %s", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("deposit not sent to the bank core")
	}
	if rec.actions.Load() != 1 {
		t.Fatalf("the check stage recorded %d deposits, want 1", rec.actions.Load())
	}
	_, conv := f.json("GET", "/v1/conversations/"+id, nil)
	amount := conv["state"].(map[string]any)["slots"].(map[string]any)["amount"].(map[string]any)
	if amount["status"] != "confirmed" || conv["status"] != "resolved" {
		t.Fatalf("amount %v status %v", amount["status"], conv["status"])
	}
}

// fakeCheck reads every image as the same check, so the server's flow can be tested without OCR.
type fakeCheck struct{}

func (fakeCheck) Name() string              { return "test.check" }
func (fakeCheck) Accepts(k media.Kind) bool { return k == media.Image }
func (fakeCheck) Process(_ context.Context, it media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	return []perception.Observation{
		{Kind: perception.KindCheck, Confidence: 0.9},
		{Kind: perception.KindEntity, Slot: "amount", Value: 1250.75, Confidence: 0.95},
		{Kind: perception.KindEntity, Slot: "check_number", Value: "1043", Confidence: 0.9},
	}, nil
}

// recordingCheck is fakeCheck that counts the deposits it is told about.
type recordingCheck struct {
	fakeCheck
	actions atomic.Int32
}

func (r *recordingCheck) Record(_ context.Context, action string, o perception.Observation, ref string) error {
	if action == "deposit" && o.Kind == perception.KindCheck && ref != "" {
		r.actions.Add(1)
	}
	return nil
}

func mustStage(t *testing.T, id string) perception.Stage {
	stages, _, err := perception.Build(perception.Env{Packs: mustPacks(t)}, []string{id})
	if err != nil || len(stages) != 1 {
		t.Fatalf("%s: %v", id, err)
	}
	return stages[0]
}

// deafStage fails every audio part the way the decoder fails on silence or garbage.
type deafStage struct{ err error }

func (deafStage) Name() string              { return "test.deaf" }
func (deafStage) Accepts(k media.Kind) bool { return k == media.Audio }
func (d deafStage) Process(context.Context, media.Item, perception.Expectation) ([]perception.Observation, error) {
	return nil, d.err
}

func TestUnusableAudioIsExplained(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"silence", fmt.Errorf("decode: %w", media.ErrSilent), "didn't hear anything"},
		{"garbage", fmt.Errorf("decode: %w", media.ErrCorrupt), "couldn't play that audio"},
		{"too long", fmt.Errorf("decode: %w", media.ErrTooLarge), "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, t.TempDir(), server.Options{Stages: []perception.Stage{deafStage{tc.err}}})
			id := f.conversation("bank")
			body, ct := multipartBody(t, nil, map[string][]byte{"audio": append([]byte("RIFF\x24\x00\x00\x00WAVE"), make([]byte, 64)...)})
			req, _ := http.NewRequest("POST", f.http.URL+"/v1/conversations/"+id+"/messages", body)
			req.Header.Set("Content-Type", ct)
			code, b := f.do(req)
			if code != 200 || !strings.Contains(string(b), tc.want) {
				t.Fatalf("%d %s", code, b)
			}
		})
	}
}
