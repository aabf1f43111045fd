package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/checkgen"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/guard"
	"github.com/parleyhq/parley/internal/logging"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/wire"
)

// logSink is a log sink several goroutines write to.
type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startGuardedServer starts the real server behind the guard, as parley serve runs it, with the
// production logger at level writing into logs.
func startGuardedServer(t *testing.T, cfg config.Config, logs io.Writer, level string) string {
	t.Helper()
	cfg.DataDir, cfg.ModelDir = t.TempDir(), modelDir()
	log, err := logging.New(logs, config.Log{Level: level, Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(t.Context(), cfg, wire.Options(log))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(guard.Wrap(s.Handler(), cfg, log))
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return hs.URL
}

var (
	// logTime is a log line's own time stamp; isoDate a date the line mentions.
	logTime = regexp.MustCompile(`"time":"[^"]*"`)
	isoDate = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)
	// wholeNumber is eight or more digits, grouped or not, standing on their own (not inside an
	// identifier such as c_3f0a12345678).
	wholeNumber = regexp.MustCompile(`(?:^|[^0-9A-Za-z_])(\d(?:[ .\-]?\d){7,})(?:$|[^0-9A-Za-z_])`)
)

// unmasked returns a whole number in a log line: one of secrets, or any eight digits or more
// outside an identifier, a date or the line's time stamp; "" when there is none.
func unmasked(line string, secrets []string) string {
	clean := isoDate.ReplaceAllString(logTime.ReplaceAllString(line, ""), "")
	for _, s := range secrets {
		if strings.Contains(clean, s) {
			return s
		}
	}
	if m := wholeNumber.FindStringSubmatch(clean); m != nil {
		return m[1]
	}
	return ""
}

// TestLogsCarryNoFullNumber runs the bank walk-through (a lost card and an account number typed, a
// check photographed and deposited, a spoken card number, a dispute) through the real server with
// the production logger at debug level, and finds no full card, account or routing number in any
// log line; every access line carries the request id the client got.
func TestLogsCarryNoFullNumber(t *testing.T) {
	logs := &logSink{}
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	base := startGuardedServer(t, cfg, logs, "debug")
	ids := map[string]bool{}
	call := func(method, path, ctype string, body io.Reader) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, body)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		ids[resp.Header.Get("X-Request-Id")] = true
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		json.Unmarshal(raw, &out)
		return out
	}
	say := func(id, text string) {
		b, _ := json.Marshal(map[string]string{"text": text})
		call("POST", "/v1/conversations/"+id+"/messages", "application/json", bytes.NewReader(b))
	}
	start := func() string {
		id, _ := call("POST", "/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`))["id"].(string)
		if id == "" {
			t.Fatal("no conversation started")
		}
		return id
	}

	card := start()
	say(card, "I lost my card, the number is 4111 1111 1111 1111 and my account is 123456789012")
	say(card, "yes")
	call("GET", "/v1/conversations/"+card, "", nil)

	chk, img := checkgen.New(31).Generate(checkgen.Options{Amount: 1030})
	photo, err := checkgen.Degrade(img, "photo", checkgen.New(32).Rand())
	if err != nil {
		t.Fatal(err)
	}
	var pic bytes.Buffer
	if err := jpeg.Encode(&pic, photo, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	dep := start()
	say(dep, "I would like to deposit a check into account 9876-5432-1098")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", "check_"+chk.Account+".jpg")
	fw.Write(pic.Bytes())
	mw.WriteField("text", "routing "+chk.Routing+" account "+chk.Account)
	mw.Close()
	call("POST", "/v1/conversations/"+dep+"/messages", mw.FormDataContentType(), &body)
	say(dep, "yes")
	call("GET", "/v1/conversations/"+dep+"/timeline", "", nil)
	call("GET", "/v1/conversations/"+dep+"/decisions", "", nil)

	spoken := start()
	say(spoken, "my card number is four one one one one one one one one one one one one one one one")
	say(spoken, "I want to dispute a charge on 5555-5555-5555-4444")
	call("POST", "/v1/conversations/"+spoken+"/handoff", "application/json", strings.NewReader(`{"reason":"card 4111111111111111 disputed"}`))
	call("GET", "/v1/conversations/4111111111111111", "", nil)
	call("POST", "/v1/conversations/"+spoken+"/messages", "application/json", strings.NewReader(`{"text": "4111111111111111`))

	// The access lines are written after each answer; give the last one a moment.
	time.Sleep(100 * time.Millisecond)
	out := logs.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 15 {
		t.Fatalf("only %d log lines: %s", len(lines), out)
	}
	secrets := []string{"4111 1111 1111 1111", "4111111111111111", "123456789012", "9876-5432-1098", "5555-5555-5555-4444", chk.Routing, chk.Account}
	found := 0
	for _, l := range lines {
		if n := unmasked(l, secrets); n != "" {
			t.Errorf("a log line carries the number %q: %s", n, l)
		}
		if strings.Contains(l, "••••") {
			found++
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("not a JSON line: %s", l)
			continue
		}
		if rec["msg"] == "request" && !ids[rec["request_id"].(string)] {
			t.Errorf("access line with a request id no client got: %s", l)
		}
	}
	if found == 0 {
		t.Errorf("no masked number in the logs: the walk-through logged none of what it sent:\n%s", out)
	}
	t.Logf("%d log lines, %d with masked numbers, none with a whole number", len(lines), found)
	// The scan itself finds what an unmasked logger would have written.
	for _, l := range []string{`{"msg":"card 4111 1111 1111 1111 blocked"}`, `{"err":"account 123456789012: not found"}`, `{"micr":"T` + chk.Routing + `T"}`} {
		if unmasked(l, secrets) == "" {
			t.Errorf("the scan misses the number in %s", l)
		}
	}
}
