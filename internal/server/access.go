package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/reason"
	"github.com/parleyhq/parley/store"
)

// level is who may call a route.
type level int

const (
	// customerAPI routes take any key of the tenant, publishable ones included.
	customerAPI level = iota
	// staffAPI routes take a secret key or a signed-in staff user.
	staffAPI
	// adminAPI routes take a secret key or a signed-in admin.
	adminAPI
)

// Principal kinds besides the key kinds.
const (
	kindOpen  = "open"  // no credentials exist: the API is open, as a fresh install is
	kindStaff = "staff" // a signed-in staff user
)

// principal is who a request acts as.
type principal struct {
	Tenant  string
	Kind    string // kindOpen, kindStaff, store.KeyPublishable or store.KeySecret
	KeyID   string
	User    *store.StaffUser
	Session *store.Session
}

// actor names the principal in the audit trail.
func (p *principal) actor() string {
	switch {
	case p.User != nil:
		return "staff:" + p.User.Email
	case p.KeyID != "":
		return "key:" + p.KeyID
	case p.Kind == store.KeySecret:
		return "key:api_key"
	}
	return p.Kind
}

func (p *principal) allows(l level) bool {
	switch p.Kind {
	case kindOpen, store.KeySecret:
		return true
	case kindStaff:
		return l < adminAPI || p.User.Role == store.RoleStaffAdmin
	}
	return l == customerAPI
}

// masked reports whether the principal sees account and card numbers masked.
func (p *principal) masked() bool { return p.User != nil && p.User.Role != store.RoleStaffAdmin }

type principalKey struct{}

// principalOf is the principal a guarded request acts as (open outside a guard).
func principalOf(ctx context.Context) *principal {
	if p, ok := ctx.Value(principalKey{}).(*principal); ok {
		return p
	}
	return &principal{Tenant: store.DefaultTenant, Kind: kindOpen}
}

// accessState holds the credential checkers; nil checkers when the store keeps no credentials.
type accessState struct {
	access   store.Access
	sessions store.Sessions
	auditor  store.Auditor
	keys     *auth.Keyring
	staff    *auth.Staff

	mu      sync.Mutex
	locked  bool      // credentials exist: once true, stays true
	checked time.Time // when Credentials was last asked
}

// credentialsTTL is how long a "no credentials yet" answer is trusted: a key made with
// `parley keys create` while the server runs closes the API within it.
const credentialsTTL = time.Second

func (s *Server) initAccess() {
	a := &s.access
	a.access, _ = s.store.(store.Access)
	a.sessions, _ = s.store.(store.Sessions)
	a.auditor, _ = s.store.(store.Auditor)
	if a.access != nil {
		a.keys = &auth.Keyring{Store: a.access}
		if ss, ok := s.store.(auth.StaffStore); ok {
			a.staff = &auth.Staff{Store: ss, Now: s.opts.Now}
		}
	}
}

// open reports whether the API is open: no api_key configured and no key or staff user stored.
func (s *Server) open(ctx context.Context) (bool, error) {
	if s.cfg.APIKey != "" {
		return false, nil
	}
	a := &s.access
	if a.access == nil {
		return true, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.locked {
		return false, nil
	}
	if time.Since(a.checked) < credentialsTTL {
		return true, nil
	}
	has, err := a.access.Credentials(ctx)
	if err != nil {
		return false, err
	}
	a.checked, a.locked = time.Now(), has
	return !has, nil
}

var (
	errUnauthorized = errorf(http.StatusUnauthorized, "unauthorized", "a valid API key or a staff sign-in is required")
	errForbidden    = errorf(http.StatusForbidden, "forbidden", "this key or account may not call this API")
	errCSRF         = errorf(http.StatusForbidden, "csrf", "missing or wrong "+auth.CSRFHeader+" header for this session")
)

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// authenticate finds who a request acts as: a Bearer key (or ?key= on a live stream), else a
// staff session cookie, else nobody, which only an open API accepts.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	ctx := r.Context()
	header := r.Header.Get("Authorization")
	if header == "" && strings.HasSuffix(r.URL.Path, "/live") && r.URL.Query().Get("key") != "" {
		header = "Bearer " + r.URL.Query().Get("key")
	}
	if header != "" {
		p, err := s.keyPrincipal(ctx, header)
		if errors.Is(err, errUnauthorized) {
			// An open API ignores whatever key a client sends, as it always has (OpenAI SDKs
			// always send one).
			if open, oerr := s.open(ctx); oerr == nil && open {
				return &principal{Tenant: store.DefaultTenant, Kind: kindOpen}, nil
			}
		}
		return p, err
	}
	if c, err := r.Cookie(auth.SessionCookie); err == nil && s.access.staff != nil {
		ss, u, err := s.access.staff.Session(ctx, c.Value)
		switch {
		case err == nil:
			if unsafeMethod(r.Method) && !auth.CheckCSRF(ss, r.Header.Get(auth.CSRFHeader)) {
				return nil, errCSRF
			}
			return &principal{Tenant: u.Tenant, Kind: kindStaff, User: u, Session: ss}, nil
		case !errors.Is(err, auth.ErrNoSession):
			return nil, err
		}
	}
	if c, err := r.Cookie(auth.KeyCookie); err == nil && s.access.keys != nil {
		// The web chat's publishable key (set by opening /?key=pk_...); never a secret key.
		if k, err := s.access.keys.Check(ctx, c.Value); err == nil && k.Kind == store.KeyPublishable {
			return &principal{Tenant: k.Tenant, Kind: k.Kind, KeyID: k.ID}, nil
		}
	}
	open, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	if open {
		return &principal{Tenant: store.DefaultTenant, Kind: kindOpen}, nil
	}
	return nil, errUnauthorized
}

// keyPrincipal checks an Authorization header: the configured api_key (a secret key of the
// default tenant) or a stored key.
func (s *Server) keyPrincipal(ctx context.Context, header string) (*principal, error) {
	tok, err := auth.ParseBearer(header)
	if err != nil {
		return nil, errUnauthorized
	}
	if s.cfg.APIKey != "" && auth.Equal(tok, s.cfg.APIKey) {
		return &principal{Tenant: store.DefaultTenant, Kind: store.KeySecret}, nil
	}
	if s.access.keys == nil {
		return nil, errUnauthorized
	}
	k, err := s.access.keys.Check(ctx, tok)
	switch {
	case errors.Is(err, auth.ErrMalformed), errors.Is(err, auth.ErrUnknownKey), errors.Is(err, auth.ErrRevoked),
		errors.Is(err, auth.ErrNoKey), errors.Is(err, auth.ErrBadHash):
		return nil, errUnauthorized
	case err != nil:
		return nil, err
	}
	return &principal{Tenant: k.Tenant, Kind: k.Kind, KeyID: k.ID}, nil
}

// guard authenticates a route's caller, checks its level, keeps the caller to its tenant's
// conversations, blobs and orders (another tenant's answer 404, exactly like a missing one),
// records staff actions in the audit trail and masks numbers for agents without the right.
func (s *Server) guard(l level, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !p.allows(l) {
			s.fail(w, r, errForbidden)
			return
		}
		ctx := store.WithTenant(context.WithValue(r.Context(), principalKey{}, p), p.Tenant)
		r = r.WithContext(ctx)
		conv, err := s.scope(r, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if audited(p, l, r) {
			if err := s.audit(ctx, p, r.Method+" "+strings.TrimPrefix(r.Pattern, r.Method+" "), conv, ""); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if p.masked() && !strings.HasSuffix(r.URL.Path, "/live") {
			mw := &maskWriter{ResponseWriter: w}
			defer mw.flushTail()
			w = mw
		}
		h(w, r)
	})
}

// scope refuses what belongs to another tenant and returns the conversation the request is about.
func (s *Server) scope(r *http.Request, p *principal) (string, error) {
	ctx := r.Context()
	notFound := errorf(http.StatusNotFound, "not_found", "no such conversation")
	mine := func(id string) error {
		c, err := s.store.Conversation(ctx, id)
		if err == nil && c.Tenant != p.Tenant {
			return notFound
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	}
	if p.Kind == kindOpen {
		// An open API has one tenant: nothing to keep apart, and no extra read per request.
		return r.PathValue("id"), nil
	}
	switch {
	case strings.Contains(r.Pattern, "/v1/conversations/{id}"):
		id := r.PathValue("id")
		return id, mine(id)
	case strings.HasSuffix(r.Pattern, "/v1/blobs/{hash}"):
		ret, ok := s.store.(store.Retention)
		if !ok {
			return "", nil
		}
		has, err := ret.BlobReferenced(ctx, p.Tenant, r.PathValue("hash"))
		if err != nil {
			return "", err
		}
		if !has {
			return "", errorf(http.StatusNotFound, "not_found", "no such blob")
		}
	case strings.HasSuffix(r.Pattern, "/v1/orders/{id}"):
		o, ok, err := s.orders.get(r.PathValue("id"))
		if err != nil || !ok {
			return "", err
		}
		if o.ConversationID == "" {
			if p.Tenant != store.DefaultTenant {
				return "", errorf(http.StatusNotFound, "not_found", "no such order")
			}
			return "", nil
		}
		if err := mine(o.ConversationID); err != nil {
			return "", errorf(http.StatusNotFound, "not_found", "no such order")
		}
		return o.ConversationID, nil
	case r.Method == http.MethodPost && strings.HasSuffix(r.Pattern, "/v1/orders"):
		id, err := peekField(r, "conversation_id")
		if err != nil || id == "" {
			return "", nil // the handler reports a malformed body
		}
		return id, mine(id)
	case strings.HasSuffix(r.Pattern, "/v1/chat/completions"):
		if t := s.cfg.Tenants[p.Tenant]; len(t.Packs) > 0 {
			model, err := peekField(r, "model")
			if err == nil && !s.cfg.Tenants.AllowsPack(p.Tenant, strings.TrimPrefix(model, "parley-")) {
				return "", errorf(http.StatusNotFound, "model_not_found", fmt.Sprintf("no model %q for this tenant: GET /v1/models lists the packs", model))
			}
		}
		if id := r.Header.Get(ConversationHeader); id != "" {
			return id, mine(id)
		}
	case r.PathValue("pack") != "" || r.PathValue("model") != "":
		pack := r.PathValue("pack")
		if pack == "" {
			pack = strings.TrimPrefix(r.PathValue("model"), "parley-")
		}
		if !s.cfg.Tenants.AllowsPack(p.Tenant, pack) {
			return "", errorf(http.StatusNotFound, "not_found", "no such pack")
		}
	}
	return "", nil
}

// peekField reads one string field of a JSON body and puts the body back.
func peekField(r *http.Request, field string) (string, error) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(body, &v); err != nil {
		return "", err
	}
	var out string
	err = json.Unmarshal(v[field], &out)
	return out, err
}

// audited reports whether a request is a staff action for the audit trail: everything a signed-in
// staff user or a secret key does on the staff APIs, except the pages' automatic polls of the queue
// and of who is signed in.
func audited(p *principal, l level, r *http.Request) bool {
	if p.Kind != kindStaff && (p.Kind != store.KeySecret || l == customerAPI) {
		return false
	}
	return !(r.Method == http.MethodGet && (r.URL.Path == "/v1/handoffs" || r.URL.Path == "/v1/auth/session"))
}

// audit records a staff action; tools and the open API leave no record.
func (s *Server) audit(ctx context.Context, p *principal, action, conversation, detail string) error {
	if s.access.auditor == nil || p.Kind == kindOpen {
		return nil
	}
	return s.access.auditor.AddAudit(ctx, &store.AuditEntry{At: s.now().UTC(), Tenant: p.Tenant, Actor: p.actor(),
		Action: action, ConversationID: conversation, Detail: detail})
}

// maskWriter masks account and card numbers in the JSON it writes (a JSON body or the data lines
// of server-sent events), one line at a time so a number split across two writes is still masked.
// Only string values are masked, and never identifiers, hashes, URLs or times.
type maskWriter struct {
	http.ResponseWriter
	tail []byte
}

func (m *maskWriter) Write(p []byte) (int, error) {
	m.tail = append(m.tail, p...)
	i := bytes.LastIndexByte(m.tail, '\n')
	if i < 0 {
		return len(p), nil
	}
	if _, err := m.ResponseWriter.Write(maskLines(m.tail[:i+1])); err != nil {
		return 0, err
	}
	m.tail = append(m.tail[:0], m.tail[i+1:]...)
	return len(p), nil
}

func (m *maskWriter) flushTail() {
	if len(m.tail) > 0 {
		m.ResponseWriter.Write(maskLines(m.tail))
		m.tail = m.tail[:0]
	}
}

// Flush writes what is buffered and flushes the connection (server-sent events).
func (m *maskWriter) Flush() {
	m.flushTail()
	if f, ok := m.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the connection.
func (m *maskWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// maskLines masks each line that is JSON, or an event's "data: " line carrying JSON.
func maskLines(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line = b[:i+1]
		}
		b = b[len(line):]
		body := bytes.TrimRight(line, "\r\n")
		prefix := []byte(nil)
		if bytes.HasPrefix(body, []byte("data: ")) {
			prefix, body = body[:6], body[6:]
		}
		masked, ok := maskJSON(body)
		if !ok {
			out = append(out, line...)
			continue
		}
		out = append(append(append(out, prefix...), masked...), line[len(prefix)+len(body):]...)
	}
	return out
}

// maskJSON masks the string values of a JSON document; ok is false for anything else.
func maskJSON(b []byte) ([]byte, bool) {
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	out, err := json.Marshal(maskValue(v))
	if err != nil {
		return nil, false
	}
	return out, true
}

// keepKey reports whether a JSON field holds no customer words: ids, hashes, links and times.
func keepKey(k string) bool {
	switch k {
	case "id", "hash", "url", "urls", "at", "conversation", "type", "kind", "mime", "content_type", "status", "role":
		return true
	}
	return strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_at")
}

func maskValue(v any) any {
	switch x := v.(type) {
	case string:
		return reason.Mask(x)
	case []any:
		for i := range x {
			x[i] = maskValue(x[i])
		}
	case map[string]any:
		for k, e := range x {
			if !keepKey(k) {
				x[k] = maskValue(e)
			}
		}
	}
	return v
}

// tenantPacks lists only the packs the caller's tenant may use in a listing's list field (packs or
// data), each named by key (name or id); tenants without a pack list see every pack.
func (s *Server) tenantPacks(list, key string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalOf(r.Context())
		if len(s.cfg.Tenants[p.Tenant].Packs) == 0 {
			h(w, r)
			return
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		h(rec, r)
		var body map[string]any
		if rec.status != http.StatusOK || json.Unmarshal(rec.body.Bytes(), &body) != nil {
			copyHeader(w.Header(), rec.header)
			w.WriteHeader(rec.status)
			w.Write(rec.body.Bytes())
			return
		}
		items, _ := body[list].([]any)
		kept := []any{}
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if name, _ := m[key].(string); s.cfg.Tenants.AllowsPack(p.Tenant, name) {
					kept = append(kept, it)
				}
			}
		}
		body[list] = kept
		if d, ok := body["default"].(string); ok && !s.cfg.Tenants.AllowsPack(p.Tenant, d) {
			body["default"] = s.cfg.Tenants[p.Tenant].Packs[0]
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// recorder keeps a handler's response for tenantPacks to filter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}
