package guard

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/logging"
)

// fakeClock is a guard clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testConfig() config.Config {
	c := config.Default()
	c.Guard.Key = config.Rate{PerSecond: 2, Burst: 3}
	c.Guard.Address = config.Rate{PerSecond: 10, Burst: 20}
	return c
}

// ok answers 200 with the request id the handler sees.
var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte(logging.RequestID(r.Context())))
})

func send(h http.Handler, method, path string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func errorBody(t *testing.T, w *httptest.ResponseRecorder) ErrorBody {
	t.Helper()
	var b ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	return b
}

func TestKeyRateBurstRetryAfterAndRecovery(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	g := New(testConfig(), nil)
	g.now = clock.now
	h := g.Handler(ok)
	alice := map[string]string{"Authorization": "Bearer alice-secret"}
	for i := range 3 {
		if w := send(h, "GET", "/v1/stats", alice); w.Code != 200 {
			t.Fatalf("request %d within the burst: %d", i, w.Code)
		}
	}
	w := send(h, "GET", "/v1/stats", alice)
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("4th request of a burst of 3: %d, want 429", w.Code)
	}
	if ra := w.Header().Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q, want 1 (one token every 0.5 s)", ra)
	}
	b := errorBody(t, w)
	if b.Error.Code != "rate_limited" || b.Error.RequestID == "" || b.Error.RequestID != w.Header().Get("X-Request-Id") {
		t.Errorf("429 body = %+v, header id %q", b, w.Header().Get("X-Request-Id"))
	}
	// Another key and the pages are not affected.
	if w := send(h, "GET", "/v1/stats", map[string]string{"Authorization": "Bearer bob"}); w.Code != 200 {
		t.Errorf("another key refused: %d", w.Code)
	}
	if w := send(h, "GET", "/index.html", alice); w.Code != 200 {
		t.Errorf("a page refused: %d", w.Code)
	}
	// After the window one token is back, and only one.
	clock.add(500 * time.Millisecond)
	if w := send(h, "GET", "/v1/stats", alice); w.Code != 200 {
		t.Errorf("after 0.5 s: %d, want 200", w.Code)
	}
	if w := send(h, "GET", "/v1/stats", alice); w.Code != 429 {
		t.Errorf("second request after 0.5 s: %d, want 429", w.Code)
	}
	clock.add(2 * time.Second)
	for i := range 3 {
		if w := send(h, "GET", "/v1/stats", alice); w.Code != 200 {
			t.Errorf("burst after recovery, request %d: %d", i, w.Code)
		}
	}
}

func TestAddressRateWithRealClock(t *testing.T) {
	cfg := config.Default()
	cfg.Guard.Key = config.Rate{}
	cfg.Guard.Address = config.Rate{PerSecond: 20, Burst: 5}
	srv := httptest.NewServer(Wrap(ok, cfg, nil))
	defer srv.Close()
	codes := map[int]int{}
	var retry string
	for range 8 {
		resp, err := http.Get(srv.URL + "/v1/stats")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes[resp.StatusCode]++
		if resp.StatusCode == 429 {
			retry = resp.Header.Get("Retry-After")
		}
	}
	if codes[200] < 5 || codes[429] == 0 || retry == "" {
		t.Fatalf("a burst of 8 over a bucket of 5: %v, Retry-After %q", codes, retry)
	}
	time.Sleep(300 * time.Millisecond) // 6 tokens at 20 per second
	resp, err := http.Get(srv.URL + "/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after the window: %d, want 200", resp.StatusCode)
	}
}

func TestBucketsStayBounded(t *testing.T) {
	b := newBuckets(config.Rate{PerSecond: 1, Burst: 1}, time.Minute, 100)
	now := time.Unix(0, 0)
	for i := range 5000 {
		b.take("10.0."+strconv.Itoa(i/250)+"."+strconv.Itoa(i%250), now)
	}
	if n := b.size(); n > 100 {
		t.Errorf("%d buckets held, want at most 100", n)
	}
	b.take("late", now.Add(2*time.Minute))
	if n := b.size(); n != 1 {
		t.Errorf("after the idle time %d buckets held, want 1", n)
	}
}

func TestLiveCallsPerTenant(t *testing.T) {
	cfg := config.Default()
	cfg.Guard.LiveCalls = 2
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	live := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	})
	g := New(cfg, nil)
	h := g.Handler(live)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); send(h, "GET", "/v1/conversations/c_1/live?key=k1", nil) }()
		<-started
	}
	w := send(h, "GET", "/v1/conversations/c_2/live?key=k1", nil)
	if w.Code != 429 || w.Header().Get("Retry-After") == "" || errorBody(t, w).Error.Code != "too_many_calls" {
		t.Fatalf("third live call: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	// Another tenant has its own allowance.
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		done <- send(h, "GET", "/v1/conversations/c_3/live", map[string]string{"Authorization": "Bearer k2"})
	}()
	<-started
	close(release)
	wg.Wait()
	if w := <-done; w.Code != 200 {
		t.Errorf("another tenant's call: %d", w.Code)
	}
	if w := send(h, "GET", "/v1/conversations/c_2/live?key=k1", nil); w.Code != 200 {
		t.Errorf("a call after the others ended: %d", w.Code)
	}
}

func TestMessageBytes(t *testing.T) {
	cfg := config.Default()
	cfg.Guard.MessageBytes = 1000
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), 413)
		}
	})
	h := Wrap(read, cfg, nil)
	big := httptest.NewRequest("POST", "/v1/conversations/c_1/messages", bytes.NewReader(make([]byte, 2000)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, big)
	if w.Code != 413 || errorBody(t, w).Error.Code != "too_large" {
		t.Errorf("a 2000-byte message over a 1000-byte bound: %d %s", w.Code, w.Body)
	}
	chunked := httptest.NewRequest("POST", "/v1/conversations/c_1/messages", io.MultiReader(bytes.NewReader(make([]byte, 2000))))
	chunked.ContentLength = -1
	w = httptest.NewRecorder()
	h.ServeHTTP(w, chunked)
	if w.Code != 413 {
		t.Errorf("a chunked message over the bound: %d", w.Code)
	}
}

func TestRequestIDHeaderLogAndBody(t *testing.T) {
	var logs bytes.Buffer
	log, err := logging.New(&logs, config.Log{Level: "info", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	fail := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.WarnContext(r.Context(), "inside the handler")
		WriteError(w, r, 404, "not_found", "no such conversation")
	})
	h := Wrap(fail, config.Default(), log)
	w := send(h, "GET", "/v1/conversations/c_9?key=secret", map[string]string{"X-Request-Id": "client-42.a"})
	if got := w.Header().Get("X-Request-Id"); got != "client-42.a" {
		t.Errorf("a well-formed incoming id is kept: got %q", got)
	}
	if b := errorBody(t, w); b.Error.RequestID != "client-42.a" {
		t.Errorf("body id %q", b.Error.RequestID)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want the handler's line and the access line, got %q", logs.String())
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["request_id"] != "client-42.a" {
			t.Errorf("log line without the request id: %s", l)
		}
	}
	if strings.Contains(logs.String(), "secret") {
		t.Errorf("the access line logs the query: %s", logs.String())
	}
	for _, bad := range []string{"", "has space", "quote\"", strings.Repeat("x", 129), "new\nline"} {
		w := send(h, "GET", "/v1/x", map[string]string{"X-Request-Id": bad})
		if got := w.Header().Get("X-Request-Id"); got == bad || !strings.HasPrefix(got, "req_") {
			t.Errorf("incoming %q: id %q, want a fresh one", bad, got)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	cfg := config.Default()
	cfg.CORS = map[string][]string{"default": {"https://shop.example.com"}}
	cfg.Guard.TrustedProxies = []string{"192.0.2.0/24"}
	h := Wrap(ok, cfg, nil)
	for _, path := range []string{"/", "/agent.html", "/v1/stats"} {
		w := send(h, "GET", path, nil)
		hd := w.Header()
		csp := hd.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "object-src 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, hd)
		}
		if hd.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
		frame := "frame-ancestors 'none'"
		if path == "/" {
			frame = "frame-ancestors 'self' https://shop.example.com"
		}
		if !strings.HasSuffix(csp, frame) {
			t.Errorf("%s: CSP %q, want %s", path, csp, frame)
		}
	}
	tls := httptest.NewTLSServer(h)
	defer tls.Close()
	resp, err := tls.Client().Get(tls.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS over TLS: %v", resp.Header)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "192.0.2.7:5555"
	req.Header.Set("X-Forwarded-Proto", "https")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS behind a trusted TLS proxy")
	}
	req.RemoteAddr = "198.51.100.1:5555"
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS on an untrusted X-Forwarded-Proto")
	}
}

func TestCORS(t *testing.T) {
	cfg := config.Default()
	cfg.CORS = map[string][]string{"default": {"https://shop.example.com"}, "acme": {"https://acme.example"}}
	g := New(cfg, nil)
	g.TenantOf = func(r *http.Request) string {
		if strings.HasSuffix(r.Header.Get("Authorization"), "acme-key") {
			return "acme"
		}
		return ""
	}
	h := g.Handler(ok)
	tests := []struct {
		name, method, path, origin, auth string
		code                             int
		allow                            string
	}{
		{"preflight allowed", "OPTIONS", "/v1/conversations", "https://shop.example.com", "", 204, "https://shop.example.com"},
		{"preflight default port", "OPTIONS", "/v1/conversations", "https://SHOP.example.com:443", "", 204, "https://shop.example.com"},
		{"preflight tenant origin", "OPTIONS", "/v1/conversations", "https://acme.example", "", 204, "https://acme.example"},
		{"preflight refused", "OPTIONS", "/v1/conversations", "https://evil.example", "", 403, ""},
		{"preflight null origin", "OPTIONS", "/v1/conversations", "null", "", 403, ""},
		{"call allowed", "POST", "/v1/conversations", "https://shop.example.com", "", 200, "https://shop.example.com"},
		{"call refused", "POST", "/v1/conversations", "https://evil.example", "", 403, ""},
		{"tenant origin for its key", "POST", "/v1/conversations", "https://acme.example", "Bearer acme-key", 200, "https://acme.example"},
		{"tenant list replaces default", "POST", "/v1/conversations", "https://shop.example.com", "Bearer acme-key", 403, ""},
		{"other tenant's origin", "POST", "/v1/conversations", "https://acme.example", "Bearer other", 403, ""},
		{"same origin", "POST", "/v1/conversations", "http://example.com", "", 200, ""},
		{"page from a foreign origin is served", "GET", "/app.js", "https://evil.example", "", 200, ""},
		{"no origin", "POST", "/v1/conversations", "", "", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.origin != "" {
				hdr["Origin"] = tc.origin
			}
			if tc.auth != "" {
				hdr["Authorization"] = tc.auth
			}
			if tc.method == "OPTIONS" {
				hdr["Access-Control-Request-Method"] = "POST"
				hdr["Access-Control-Request-Headers"] = "content-type, authorization"
			}
			w := send(h, tc.method, tc.path, hdr)
			if w.Code != tc.code || w.Header().Get("Access-Control-Allow-Origin") != tc.allow {
				t.Fatalf("%d, Allow-Origin %q; want %d, %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"), tc.code, tc.allow)
			}
			if tc.code == 204 && (!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") || w.Header().Get("Access-Control-Max-Age") == "") {
				t.Errorf("preflight headers %v", w.Header())
			}
			if tc.code == 403 && errorBody(t, w).Error.Code != "origin_not_allowed" {
				t.Errorf("body %s", w.Body)
			}
			if tc.origin != "" && !strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Origin") {
				t.Errorf("no Vary: Origin")
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	cfg := config.Default()
	cfg.Guard.TrustedProxies = []string{"10.0.0.0/8"}
	g := New(cfg, nil)
	for _, tc := range []struct{ peer, xff, want string }{
		{"203.0.113.5:1234", "", "203.0.113.5"},
		{"203.0.113.5:1234", "1.2.3.4", "203.0.113.5"},
		{"10.1.1.1:1234", "198.51.100.9, 10.2.2.2", "198.51.100.9"},
		{"10.1.1.1:1234", "6.6.6.6, 198.51.100.9", "198.51.100.9"},
		{"10.1.1.1:1234", "garbage", "10.1.1.1"},
		{"[2001:db8::1]:443", "", "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := g.ClientAddr(r); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %q, want %q", tc.peer, tc.xff, got, tc.want)
		}
	}
}

func TestAccessLogMasksAndLevels(t *testing.T) {
	var logs bytes.Buffer
	log, _ := logging.New(&logs, config.Log{Level: "info", Format: "json"})
	h := Wrap(ok, config.Default(), log)
	send(h, "GET", "/app.js", nil)
	if logs.Len() != 0 {
		t.Errorf("a page at info: %s", logs.String())
	}
	send(h, "GET", "/v1/conversations/4111111111111111", nil)
	if s := logs.String(); !strings.Contains(s, `"path":"/v1/conversations/••••1111"`) || !strings.Contains(s, `"status":200`) {
		t.Errorf("access line %s", s)
	}
}

func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"abc", "req_0123", "a b", "x\r\ny", strings.Repeat("z", 200), "ünï"} {
		f.Add(s)
	}
	cfg := config.Default()
	cfg.Guard.Key, cfg.Guard.Address = config.Rate{}, config.Rate{}
	h := Wrap(ok, cfg, nil)
	f.Fuzz(func(t *testing.T, id string) {
		req := httptest.NewRequest("GET", "/v1/x", nil)
		req.Header["X-Request-Id"] = []string{id}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		got := w.Header().Get("X-Request-Id")
		if !ValidRequestID(got) {
			t.Fatalf("id %q answered with an invalid id %q", id, got)
		}
		if ValidRequestID(id) != (got == id) {
			t.Fatalf("id %q: kept %v, valid %v", id, got == id, ValidRequestID(id))
		}
		if w.Body.String() != got {
			t.Fatalf("handler saw %q, header %q", w.Body.String(), got)
		}
	})
}

func FuzzOrigin(f *testing.F) {
	for _, s := range []string{"https://shop.example.com", "https://shop.example.com.evil", "HTTPS://SHOP.EXAMPLE.COM:443", "null", "https://shop.example.com/", "http://example.com", "https://user@shop.example.com"} {
		f.Add(s, "POST")
	}
	cfg := config.Default()
	cfg.CORS = map[string][]string{"default": {"https://shop.example.com"}}
	cfg.Guard.Key, cfg.Guard.Address = config.Rate{}, config.Rate{}
	h := Wrap(ok, cfg, nil)
	f.Fuzz(func(t *testing.T, origin, method string) {
		req := httptest.NewRequest("GET", "/v1/conversations", nil)
		if m := strings.ToUpper(method); m == "OPTIONS" || m == "POST" {
			req.Method = m
		}
		req.Header["Origin"] = []string{origin}
		req.Header.Set("Access-Control-Request-Method", "POST")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		allow := w.Header().Get("Access-Control-Allow-Origin")
		if allow != "" && allow != "https://shop.example.com" {
			t.Fatalf("origin %q allowed as %q", origin, allow)
		}
		if allow != "" {
			if c, err := config.ParseOrigin(origin); err != nil || c != allow {
				t.Fatalf("origin %q (%q, %v) allowed", origin, c, err)
			}
		}
		if w.Code == 200 && origin != "" && allow == "" {
			if c, err := config.ParseOrigin(origin); err != nil || !SameOrigin(c, "example.com") {
				t.Fatalf("foreign origin %q passed without an allow: %d", origin, w.Code)
			}
		}
	})
}
