package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/guard"
	"github.com/parleyhq/parley/store"
)

// staffPages are the web pages only staff may open once credentials exist.
var staffPages = map[string]bool{"/agent.html": true, "/dashboard.html": true, "/explorer.html": true}

// pages serves the web clients, sending anonymous visitors of the staff pages to the sign-in page.
func (s *Server) pages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if key := r.URL.Query().Get("key"); key != "" && (r.URL.Path == "/" || r.URL.Path == "/index.html") {
			s.keyCookie(w, r, key)
			return
		}
		if staffPages[r.URL.Path] {
			p, err := s.authenticate(r)
			if err != nil || !p.allows(staffAPI) {
				var ae *apiError
				if err != nil && !errors.As(err, &ae) {
					s.fail(w, r, err)
					return
				}
				w.Header().Set("Cache-Control", "no-store")
				http.Redirect(w, r, "/login.html?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
				return
			}
			w.Header().Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// keyCookie answers /?key=pk_...: a valid publishable key is kept in a cookie for the web chat's
// requests, and the browser goes on to the page without the key in its address.
func (s *Server) keyCookie(w http.ResponseWriter, r *http.Request, key string) {
	if s.access.keys == nil {
		s.fail(w, r, errUnauthorized)
		return
	}
	k, err := s.access.keys.Check(r.Context(), key)
	if err != nil || k.Kind != store.KeyPublishable {
		s.fail(w, r, errorf(http.StatusUnauthorized, "unauthorized", "the web chat takes a valid publishable key (pk_...)"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: auth.KeyCookie, Value: key, Path: "/", MaxAge: 30 * 24 * 3600,
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
	q := r.URL.Query()
	q.Del("key")
	u := *r.URL
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

// secureCookies reports whether the request came over HTTPS (directly or through a proxy that says
// so), where cookies are marked Secure.
func secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// handleSignIn is POST /v1/auth/session {email, password}: it sets the session cookie (HttpOnly)
// and the CSRF cookie the staff pages echo in the X-CSRF-Token header.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	if s.access.staff == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "this store keeps no staff accounts"))
		return
	}
	// A JSON body cannot be sent cross-site without a CORS preflight: no sign-in CSRF.
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.fail(w, r, errorf(http.StatusUnsupportedMediaType, "json_required", "send the email and password as JSON"))
		return
	}
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	th, client := s.signins(), s.clientAddr(r)
	email, addr := signinEmail(req.Email), "addr:"+client
	if wait := th.begin(email, addr); wait > 0 {
		s.log.InfoContext(r.Context(), "staff sign-in throttled", "client", client)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		s.fail(w, r, errorf(http.StatusTooManyRequests, "too_many_sign_ins",
			"too many failed sign-ins; wait the seconds in Retry-After, then try again"))
		return
	}
	token, ss, u, err := s.access.staff.SignIn(r.Context(), req.Email, req.Password)
	th.end(email, addr, err)
	if errors.Is(err, auth.ErrSignIn) {
		s.log.InfoContext(r.Context(), "staff sign-in refused", "client", client)
		s.fail(w, r, errorf(http.StatusUnauthorized, "sign_in_failed", "wrong email or password"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &principal{Tenant: u.Tenant, Kind: kindStaff, User: u, Session: ss}
	if err := s.audit(r.Context(), p, "sign_in", "", ""); err != nil {
		s.fail(w, r, err)
		return
	}
	secure := secureCookies(r)
	maxAge := int(ss.ExpiresAt.Sub(ss.CreatedAt).Seconds())
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: auth.CSRFCookie, Value: ss.CSRF, Path: "/", MaxAge: maxAge,
		Secure: secure, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]any{"email": u.Email, "role": u.Role, "tenant": u.Tenant,
		"csrf": ss.CSRF, "expires_at": ss.ExpiresAt})
}

// handleWhoAmI is GET /v1/auth/session: who the request acts as.
func (s *Server) handleWhoAmI(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r.Context())
	out := map[string]any{"tenant": p.Tenant, "kind": p.Kind}
	if p.User != nil {
		out["email"], out["role"] = p.User.Email, p.User.Role
	}
	writeJSON(w, http.StatusOK, out)
}

// handleSignOut is DELETE /v1/auth/session: it ends the session and clears the cookies.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r.Context())
	if c, err := r.Cookie(auth.SessionCookie); err == nil && s.access.staff != nil {
		if err := s.access.staff.SignOut(r.Context(), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	secure := secureCookies(r)
	for _, name := range []string{auth.SessionCookie, auth.CSRFCookie} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: name == auth.SessionCookie,
			Secure: secure, SameSite: http.SameSiteStrictMode})
	}
	if p.User != nil {
		s.audit(r.Context(), p, "sign_out", "", "")
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleAudit is GET /v1/audit?conversation=ID&limit=N (admin): the tenant's audit trail, newest
// first.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	if s.access.auditor == nil {
		writeJSON(w, http.StatusOK, map[string]any{"entries": []any{}})
		return
	}
	p := principalOf(r.Context())
	f := store.AuditFilter{Tenant: p.Tenant, ConversationID: r.URL.Query().Get("conversation"), Limit: 100}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(w, r, errorf(http.StatusBadRequest, "bad_query", "limit must be a number from 1 to 1000"))
			return
		}
		f.Limit = n
	}
	entries, err := s.access.auditor.Audit(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

// Sign-in throttling: an email or a client address may fail a few sign-ins freely; each failure
// past those locks it out for twice as long as the one before, up to signinMaxLock. Failures for
// an email no account has count the same, so the answers never tell whether it exists.
const (
	signinFreeEmail = 5           // failures per email before it is locked out
	signinFreeAddr  = 20          // failures per client address before it is locked out
	signinFirstLock = time.Second // the first lock-out
	signinMaxLock   = 15 * time.Minute
	signinForget    = time.Hour // a record is dropped this long after its lock-out ends
	signinMaxKeys   = 10000     // the most emails and addresses remembered at once
)

// signinThrottles holds each server's sign-in throttle, made on its first sign-in.
var signinThrottles sync.Map // *Server -> *signinThrottle

// signins returns the server's sign-in throttle.
func (s *Server) signins() *signinThrottle {
	if t, ok := signinThrottles.Load(s); ok {
		return t.(*signinThrottle)
	}
	t, _ := signinThrottles.LoadOrStore(s, newSigninThrottle(s.cfg.Hardening.Guard.TrustedProxies))
	return t.(*signinThrottle)
}

// clientAddr is the client's address as the guard names it (behind trusted proxies, the
// forwarded one).
func (s *Server) clientAddr(r *http.Request) string {
	return s.signins().addrs.ClientAddr(r)
}

// signinEmail is the throttle's key for an email: the address as typed, trimmed and lower-cased.
func signinEmail(email string) string {
	return "email:" + strings.ToLower(strings.TrimSpace(email))
}

// signinThrottle counts failed sign-ins per email and per client address, in bounded memory.
type signinThrottle struct {
	addrs *guard.Guard // names the client address
	now   func() time.Time

	mu   sync.Mutex
	recs map[string]*signinRecord
}

// signinRecord is one email's or address's failures and the lock-out they earned.
type signinRecord struct {
	fails   int
	pending int       // sign-ins being checked now
	last    time.Time // the latest failure or, when later, the end of the lock-out
	until   time.Time // locked out before this
}

// quiet reports a record with nothing left to remember at now.
func (r *signinRecord) quiet(now time.Time) bool {
	return r.pending == 0 && now.Sub(r.last) > signinForget
}

func newSigninThrottle(proxies []string) *signinThrottle {
	var cfg config.Config
	cfg.Hardening.Guard.TrustedProxies = proxies
	return &signinThrottle{addrs: guard.New(cfg, nil), now: time.Now, recs: map[string]*signinRecord{}}
}

// signinKey is a throttled email or address and the failures it may have before a lock-out.
type signinKey struct {
	key  string
	free int
}

func signinKeys(email, addr string) [2]signinKey {
	return [2]signinKey{{email, signinFreeEmail}, {addr, signinFreeAddr}}
}

// begin lets a sign-in be checked, returning 0, or returns how long the email or the address is
// locked out. Once an email or address has used its free failures, its sign-ins are checked one
// at a time, so a burst of parallel guesses cannot pass before the first failure locks it out.
func (t *signinThrottle) begin(email, addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now, wait := t.now(), time.Duration(0)
	keys := signinKeys(email, addr)
	for _, k := range keys {
		r := t.recs[k.key]
		if r == nil || r.quiet(now) {
			continue
		}
		wait = max(wait, r.until.Sub(now))
		if r.pending > 0 && r.fails+r.pending >= k.free {
			wait = max(wait, signinFirstLock)
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		t.record(k.key, now).pending++
	}
	return 0
}

// end records the outcome of a sign-in begin let through: a wrong email or password
// (auth.ErrSignIn) counts against the email and the address; a success forgets the email's
// failures; any other error counts for neither.
func (t *signinThrottle) end(email, addr string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now, ok := t.now(), err == nil
	for _, k := range signinKeys(email, addr) {
		r := t.record(k.key, now)
		r.pending = max(r.pending-1, 0)
		if !errors.Is(err, auth.ErrSignIn) {
			continue
		}
		r.fails++
		r.last = now
		if over := r.fails - k.free; over >= 0 {
			lock := signinMaxLock
			if over < 20 {
				lock = min(signinFirstLock<<over, signinMaxLock)
			}
			r.until = now.Add(lock)
			r.last = r.until
		}
	}
	if r := t.recs[email]; ok && r != nil {
		if r.pending == 0 {
			delete(t.recs, email)
		} else {
			r.fails, r.until = 0, time.Time{}
		}
	}
}

// record returns key's record, a fresh one when it has none or its old one is quiet.
func (t *signinThrottle) record(key string, now time.Time) *signinRecord {
	r := t.recs[key]
	if r != nil && !r.quiet(now) {
		return r
	}
	if r == nil {
		t.makeRoom(now)
	}
	r = &signinRecord{last: now}
	t.recs[key] = r
	return r
}

// makeRoom keeps the table under signinMaxKeys: it drops the quiet records and, when it is still
// full, the one quiet the longest.
func (t *signinThrottle) makeRoom(now time.Time) {
	if len(t.recs) < signinMaxKeys {
		return
	}
	oldest := ""
	for k, r := range t.recs {
		if r.quiet(now) {
			delete(t.recs, k)
		} else if oldest == "" || r.last.Before(t.recs[oldest].last) {
			oldest = k
		}
	}
	if len(t.recs) >= signinMaxKeys {
		delete(t.recs, oldest)
	}
}
