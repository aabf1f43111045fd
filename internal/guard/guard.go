// Package guard is the HTTP middleware in front of Parley's API and web pages: a request id on
// every request, one access log line per request, security headers and a Content-Security-Policy,
// a CORS allow-list per tenant, rate limits per API key and per client address, a bound on
// concurrent live calls per tenant and on a message's size. A refused request gets the standard
// JSON error body with its request id, and 429 answers carry Retry-After.
package guard

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/logging"
)

// Guard holds the state of the middleware: rate buckets, live-call counts and settings.
type Guard struct {
	// TenantOf names the tenant a request belongs to, for live-call bounds and CORS lists; the
	// default is KeyOf (one tenant per API key).
	TenantOf func(*http.Request) string

	cfg     config.Hardening
	limits  int64 // the largest message body
	log     *slog.Logger
	keys    *buckets
	addrs   *buckets
	live    *counter
	proxies []*net.IPNet
	cors    *corsPolicy
	now     func() time.Time
}

// New builds a guard from cfg (validated); log receives the access lines.
func New(cfg config.Config, log *slog.Logger) *Guard {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := cfg.Hardening
	g := &Guard{cfg: h, log: log, TenantOf: KeyOf, now: time.Now}
	g.limits = h.Guard.MessageBytes
	if g.limits == 0 {
		l := cfg.Limits
		g.limits = l.ImageBytes + l.AudioBytes + l.VideoBytes + 1<<20
	}
	g.keys = newBuckets(h.Guard.Key, h.Guard.Idle, h.Guard.MaxClients)
	g.addrs = newBuckets(h.Guard.Address, h.Guard.Idle, h.Guard.MaxClients)
	g.live = newCounter(h.Guard.LiveCalls)
	for _, c := range h.Guard.TrustedProxies {
		if _, n, err := net.ParseCIDR(c); err == nil {
			g.proxies = append(g.proxies, n)
		}
	}
	g.cors = newCORSPolicy(h.CORS)
	return g
}

// Wrap returns h behind the whole guard built from cfg: what parley serve runs.
func Wrap(h http.Handler, cfg config.Config, log *slog.Logger) http.Handler {
	return New(cfg, log).Handler(h)
}

// Handler returns next behind the guard.
func (g *Guard) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := g.now()
		id := r.Header.Get("X-Request-Id")
		if !ValidRequestID(id) {
			id = logging.NewRequestID()
		}
		r = r.WithContext(logging.WithRequestID(r.Context(), id))
		r.Header.Set("X-Request-Id", id)
		w.Header().Set("X-Request-Id", id)
		rec := &recorder{ResponseWriter: w}
		g.secure(rec, r)
		refusal := g.serve(rec, r, next)
		g.logRequest(r, rec, start, refusal)
	})
}

// serve runs the checks in order and next when all pass; it returns why a request was refused.
func (g *Guard) serve(w http.ResponseWriter, r *http.Request, next http.Handler) string {
	if done, why := g.cors.handle(w, r, g.TenantOf); done {
		return why
	}
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		if d, ok := g.addrs.take(g.ClientAddr(r), g.now()); !ok {
			tooMany(w, r, d, "rate_limited", "too many requests from this address; slow down and retry after the time in Retry-After")
			return "address rate"
		}
		if key := KeyOf(r); key != "" {
			if d, ok := g.keys.take(key, g.now()); !ok {
				tooMany(w, r, d, "rate_limited", "too many requests with this API key; slow down and retry after the time in Retry-After")
				return "key rate"
			}
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
			if r.ContentLength > g.limits {
				WriteError(w, r, http.StatusRequestEntityTooLarge, "too_large", "the message is larger than the server accepts; send fewer or smaller parts")
				return "message size"
			}
			r.Body = http.MaxBytesReader(w, r.Body, g.limits)
		}
		if isLive(r) {
			tenant := g.TenantOf(r)
			if !g.live.acquire(tenant) {
				tooMany(w, r, 10*time.Second, "too_many_calls", "this account already holds as many live calls as it may; end one and try again")
				return "live calls"
			}
			defer g.live.release(tenant)
		}
	}
	next.ServeHTTP(w, r)
	return ""
}

// isLive reports a live call: GET /v1/conversations/{id}/live.
func isLive(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/conversations/") && strings.HasSuffix(r.URL.Path, "/live")
}

// KeyOf returns a stable name for the API key a request carries (the first 16 hex digits of the
// SHA-256 of its bearer token, from Authorization or a live call's ?key=), or "" without one.
func KeyOf(r *http.Request) string {
	tok := ""
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		tok = strings.TrimSpace(a[7:])
	} else if isLive(r) {
		tok = r.URL.Query().Get("key")
	}
	if tok == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(tok))
	return "key_" + hex.EncodeToString(sum[:8])
}

// ClientAddr returns the client's IP address: the peer's, or, when the peer is a trusted proxy,
// the last address in X-Forwarded-For that is not one.
func (g *Guard) ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !g.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if net.ParseIP(hop) == nil {
			break
		}
		if !g.trusted(hop) {
			return hop
		}
		host = hop
	}
	return host
}

func (g *Guard) trusted(addr string) bool {
	ip := net.ParseIP(addr)
	if ip == nil {
		return false
	}
	for _, n := range g.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// tooMany answers 429 with Retry-After in whole seconds (at least 1).
func tooMany(w http.ResponseWriter, r *http.Request, after time.Duration, code, msg string) {
	secs := int((after + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", itoa(max(secs, 1)))
	WriteError(w, r, http.StatusTooManyRequests, code, msg)
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id,omitempty"`
	} `json:"error"`
}

// WriteError writes the standard JSON error body, with the request's id.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	var b ErrorBody
	b.Error.Code, b.Error.Message, b.Error.RequestID = code, msg, logging.RequestID(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(b)
}

// logRequest writes the access line: API calls and failures at info, the rest at debug.
func (g *Guard) logRequest(r *http.Request, rec *recorder, start time.Time, refusal string) {
	level := slog.LevelDebug
	if strings.HasPrefix(r.URL.Path, "/v1/") || rec.status >= 400 {
		level = slog.LevelInfo
	}
	ctx := r.Context()
	if !g.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", rec.code()), slog.Int64("bytes", rec.bytes),
		slog.Float64("ms", float64(g.now().Sub(start).Microseconds())/1000), slog.String("client", g.ClientAddr(r)),
	}
	if refusal != "" {
		attrs = append(attrs, slog.String("refused", refusal))
	}
	g.log.LogAttrs(ctx, level, "request", attrs...)
}

// recorder notes the status and size of a response, and passes flushes and hijacks through so
// events streams and WebSockets keep working.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Flush sends buffered data to the client.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over (WebSocket upgrades).
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("guard: the connection cannot be hijacked")
	}
	if r.status == 0 {
		r.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

// Unwrap gives http.ResponseController the writer underneath.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
