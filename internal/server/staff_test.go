package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/sqlite"
)

// TestRevocationTakesEffectAtOnce revokes and rotates keys from another store handle (as `parley
// keys` does from another process, or another node does) while the server has the key cached.
func TestRevocationTakesEffectAtOnce(t *testing.T) {
	dir := t.TempDir()
	cs := credentials(t, dir)
	key := newKey(t, cs, "acme", store.KeySecret)
	other := newKey(t, cs, "acme", store.KeySecret)
	f := newFixture(t, dir, server.Options{})
	for range 3 { // verified once, then served from the cache
		if code, body := f.call("GET", "/v1/handoffs", key, nil); code != 200 {
			t.Fatalf("a fresh key: %d %s", code, body)
		}
	}
	_, id, _, _ := auth.ParseKey(key)
	if _, err := (&auth.Keyring{Store: cs}).Revoke(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if code, _ := f.call("GET", "/v1/handoffs", key, nil); code != 401 {
		t.Fatalf("the request right after revocation: %d, want 401", code)
	}
	if code, _ := f.call("POST", "/v1/conversations", key, map[string]string{}); code != 401 {
		t.Fatalf("a revoked key on the customer API: %d, want 401", code)
	}
	if code, body := f.call("GET", "/v1/handoffs", other, nil); code != 200 {
		t.Fatalf("another key of the tenant stops working too: %d %s", code, body)
	}
	_, oid, _, _ := auth.ParseKey(other)
	rotated, _, err := (&auth.Keyring{Store: cs}).Rotate(context.Background(), oid)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := f.call("GET", "/v1/handoffs", other, nil); code != 401 {
		t.Fatalf("the old secret after rotation: %d, want 401", code)
	}
	if code, body := f.call("GET", "/v1/handoffs", rotated, nil); code != 200 {
		t.Fatalf("the rotated secret: %d %s", code, body)
	}
}

// session is a signed-in browser: its cookies and CSRF token.
type session struct {
	cookies []*http.Cookie
	csrf    string
}

func signIn(t *testing.T, f *fixture, email, password string) session {
	t.Helper()
	code, body := f.call("POST", "/v1/auth/session", "", map[string]string{"email": email, "password": password})
	if code != 200 {
		t.Fatalf("sign in %s: %d %s", email, code, body)
	}
	var out struct{ CSRF string }
	json.Unmarshal(body, &out)
	// Read the cookies of a second sign-in's response (the first went through the validator).
	raw, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(f.http.URL+"/v1/auth/session", "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := session{cookies: resp.Cookies()}
	for _, c := range s.cookies {
		if c.Name == auth.SessionCookie && (!c.HttpOnly || c.SameSite != http.SameSiteStrictMode) {
			t.Errorf("session cookie %+v: want HttpOnly and SameSite=Strict", c)
		}
		if c.Name == auth.CSRFCookie {
			s.csrf = c.Value
		}
	}
	if s.csrf == "" || out.CSRF == "" {
		t.Fatalf("no CSRF token: %v", s.cookies)
	}
	return s
}

func (f *fixture) as(s session, method, path string, body any, csrf bool) (int, []byte) {
	f.t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, f.http.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, c := range s.cookies {
		req.AddCookie(c)
	}
	if csrf {
		req.Header.Set(auth.CSRFHeader, s.csrf)
	}
	return f.do(req)
}

func addStaff(t *testing.T, cs *sqlite.SQLite, tenant, email, role string) {
	t.Helper()
	if _, err := (&auth.Staff{Store: cs}).Add(context.Background(), tenant, email, role, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
}

// TestStaffSignInCSRFMaskingAndAudit signs an agent and an admin in: both reach the staff APIs by
// cookie, a state-changing call without the CSRF token is refused, the agent sees the card number
// masked and the admin in full, and every action lands in the audit trail only admins read.
func TestStaffSignInCSRFMaskingAndAudit(t *testing.T) {
	dir := t.TempDir()
	cs := credentials(t, dir)
	addStaff(t, cs, "acme", "agent@acme.test", store.RoleStaffAgent)
	addStaff(t, cs, "acme", "admin@acme.test", store.RoleStaffAdmin)
	addStaff(t, cs, "globex", "agent@globex.test", store.RoleStaffAgent)
	pk := newKey(t, cs, "acme", store.KeyPublishable)
	f := newFixture(t, dir, server.Options{})
	code, body := f.call("POST", "/v1/conversations", pk, map[string]string{"pack": "bank"})
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	var c struct{ ID string }
	json.Unmarshal(body, &c)
	const card = "4111 1111 1111 1111"
	if code, body := f.call("POST", "/v1/conversations/"+c.ID+"/messages", pk, map[string]string{"text": "my card " + card + " was swallowed"}); code != 200 {
		t.Fatalf("message: %d %s", code, body)
	}
	f.call("POST", "/v1/conversations/"+c.ID+"/handoff", pk, map[string]string{"reason": "card"})

	if code, _ := f.call("POST", "/v1/auth/session", "", map[string]string{"email": "agent@acme.test", "password": "wrong password"}); code != 401 {
		t.Fatalf("a wrong password: %d, want 401", code)
	}
	if code, _ := f.call("GET", "/v1/handoffs", "", nil); code != 401 {
		t.Fatalf("anonymous queue: %d, want 401", code)
	}
	agent := signIn(t, f, "agent@acme.test", "correct horse battery")
	admin := signIn(t, f, "Admin@Acme.test", "correct horse battery") // email in any case
	if code, body := f.as(agent, "GET", "/v1/handoffs", nil, false); code != 200 || !bytes.Contains(body, []byte(c.ID)) {
		t.Fatalf("the agent's queue: %d %s", code, body)
	}
	code, body = f.as(agent, "GET", "/v1/conversations/"+c.ID, nil, false)
	if code != 200 || bytes.Contains(body, []byte(card)) || !bytes.Contains(body, []byte("1111")) {
		t.Fatalf("the agent sees the card number unmasked (or nothing): %d %s", code, body)
	}
	var view map[string]any
	if err := json.Unmarshal(body, &view); err != nil || view["id"] != c.ID {
		t.Fatalf("masking broke the JSON: %v %v", err, view["id"])
	}
	if code, body := f.as(admin, "GET", "/v1/conversations/"+c.ID, nil, false); code != 200 || !bytes.Contains(body, []byte(card)) {
		t.Fatalf("the admin sees the card number: %d", code)
	}
	reply := map[string]string{"text": "I am looking at it"}
	if code, _ := f.as(agent, "POST", "/v1/conversations/"+c.ID+"/agent-reply", reply, false); code != 403 {
		t.Fatalf("a reply without the CSRF token: %d, want 403", code)
	}
	if code, body := f.as(agent, "POST", "/v1/conversations/"+c.ID+"/agent-reply", reply, true); code != 200 {
		t.Fatalf("a reply with the CSRF token: %d %s", code, body)
	}
	other := signIn(t, f, "agent@globex.test", "correct horse battery")
	if code, _ := f.as(other, "GET", "/v1/conversations/"+c.ID, nil, false); code != 404 {
		t.Fatalf("another tenant's agent: %d, want 404", code)
	}
	if code, _ := f.as(agent, "GET", "/v1/audit", nil, false); code != 403 {
		t.Fatalf("the agent reads the audit trail: %d, want 403", code)
	}
	code, body = f.as(admin, "GET", "/v1/audit?conversation="+c.ID, nil, false)
	if code != 200 {
		t.Fatalf("audit: %d %s", code, body)
	}
	var trail struct {
		Entries []store.AuditEntry
	}
	json.Unmarshal(body, &trail)
	want := map[string]bool{"staff:agent@acme.test GET /v1/conversations/{id}": false,
		"staff:agent@acme.test POST /v1/conversations/{id}/agent-reply": false, "staff:admin@acme.test GET /v1/conversations/{id}": false}
	for _, e := range trail.Entries {
		if e.Tenant != "acme" {
			t.Errorf("another tenant's entry: %+v", e)
		}
		want[e.Actor+" "+e.Action] = true
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no audit entry %q in %s", k, body)
		}
	}
	_, body = f.as(admin, "GET", "/v1/audit", nil, false)
	if !bytes.Contains(body, []byte(`"sign_in"`)) {
		t.Errorf("no sign-in in the audit trail: %s", body)
	}
	// The reply is stored under the agent's own name.
	_, body = f.as(admin, "GET", "/v1/handoffs", nil, false)
	if !bytes.Contains(body, []byte("agent@acme.test")) {
		t.Errorf("the handoff does not name the agent who answered: %s", body)
	}
	// Signing out ends the session on the server, not only in the browser.
	if code, _ := f.as(agent, "DELETE", "/v1/auth/session", nil, true); code != 204 {
		t.Fatalf("sign out: %d", code)
	}
	if code, _ := f.as(agent, "GET", "/v1/handoffs", nil, false); code != 401 {
		t.Fatalf("the old cookie after sign-out: %d, want 401", code)
	}
}

// TestStaffPagesNeedSignIn checks the console, dashboard and explorer redirect to the sign-in page
// once staff exist, and open after sign-in.
func TestStaffPagesNeedSignIn(t *testing.T) {
	dir := t.TempDir()
	cs := credentials(t, dir)
	addStaff(t, cs, store.DefaultTenant, "ann@example.test", store.RoleStaffAgent)
	f := newFixture(t, dir, server.Options{})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ann := signIn(t, f, "ann@example.test", "correct horse battery")
	for _, page := range []string{"/agent.html", "/dashboard.html", "/explorer.html"} {
		resp, err := noRedirect.Get(f.http.URL + page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login.html?next=") {
			t.Errorf("anonymous %s: %d %q, want 303 to the sign-in page", page, resp.StatusCode, resp.Header.Get("Location"))
		}
		req, _ := http.NewRequest("GET", f.http.URL+page, nil)
		for _, c := range ann.cookies {
			req.AddCookie(c)
		}
		if resp, err = noRedirect.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("signed-in %s: %d", page, resp.StatusCode)
		}
	}
	for _, page := range []string{"/", "/login.html"} {
		if resp, err := noRedirect.Get(f.http.URL + page); err != nil || resp.StatusCode != 200 {
			t.Errorf("the public page %s: %v %v", page, resp.StatusCode, err)
		}
	}
}

// TestOpenWithoutCredentials keeps a fresh install open, keys in requests ignored, as before keys
// existed.
func TestOpenWithoutCredentials(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	if code, body := f.call("POST", "/v1/conversations", "", map[string]string{}); code != 201 {
		t.Fatalf("anonymous create on a fresh install: %d %s", code, body)
	}
	if code, body := f.call("GET", "/v1/handoffs", "whatever-an-sdk-sends", nil); code != 200 {
		t.Fatalf("any key on a fresh install: %d %s", code, body)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noRedirect.Get(f.http.URL + "/agent.html"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the console on a fresh install: %v %v", resp.StatusCode, err)
	}
}

// TestRetentionDeletesMediaKeepsFacts sends acme a photo, moves the clock past acme's retention and
// sweeps: the photo is gone, the message and its text stay, and globex (no retention) keeps its own.
func TestRetentionDeletesMediaKeepsFacts(t *testing.T) {
	dir := t.TempDir()
	cs := credentials(t, dir)
	acme, globex := newKey(t, cs, "acme", store.KeySecret), newKey(t, cs, "globex", store.KeySecret)
	clk := &clock{now: time.Now().UTC()}
	f := newFixtureWith(t, dir, server.Options{Now: clk.Now}, func(c *config.Config) {
		c.Tenants = config.Tenants{"acme": {Retention: time.Hour}}
	})
	photo := func(key, text string) (conv, hash string) {
		code, body := f.call("POST", "/v1/conversations", key, map[string]string{"pack": "bank"})
		if code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		var c struct{ ID string }
		json.Unmarshal(body, &c)
		mp, ct := multipartBody(t, map[string]string{"text": text}, map[string][]byte{"image": photoPNG(t, len(text))})
		if code, body := f.call("POST", "/v1/conversations/"+c.ID+"/messages", key, mp, "Content-Type", ct); code != 200 {
			t.Fatalf("photo: %d %s", code, body)
		}
		_, body = f.call("GET", "/v1/conversations/"+c.ID, key, nil)
		var v struct {
			Messages []struct{ Parts []store.BlobRef }
		}
		json.Unmarshal(body, &v)
		return c.ID, v.Messages[0].Parts[0].Hash
	}
	ac, ah := photo(acme, "here is the check")
	_, gh := photo(globex, "a photo of my router")
	if n, err := f.srv.SweepRetention(context.Background()); err != nil || n != 0 {
		t.Fatalf("a sweep inside the period deleted %d: %v", n, err)
	}
	clk.add(2 * time.Hour)
	if n, err := f.srv.SweepRetention(context.Background()); err != nil || n != 1 {
		t.Fatalf("the sweep past acme's period deleted %d blobs (want 1): %v", n, err)
	}
	if code, _ := f.call("GET", "/v1/blobs/"+ah, acme, nil); code != 404 {
		t.Errorf("acme's photo after its retention: %d, want 404", code)
	}
	code, body := f.call("GET", "/v1/conversations/"+ac, acme, nil)
	if code != 200 || !bytes.Contains(body, []byte("here is the check")) {
		t.Errorf("the facts of acme's conversation are gone: %d %s", code, body)
	}
	if code, _ := f.call("GET", "/v1/blobs/"+gh, globex, nil); code != 200 {
		t.Errorf("globex's photo (no retention): %d, want 200", code)
	}
}

// photoPNG is a small PNG that differs with seed.
func photoPNG(t *testing.T, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*seed + seed)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// newFixtureWith is newFixture with a change to the config.
func newFixtureWith(t *testing.T, dataDir string, opts server.Options, change func(*config.Config)) *fixture {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dataDir
	change(&cfg)
	if opts.Logger == nil && !testing.Verbose() {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Stages == nil {
		stages, _, err := perception.Build(perception.Env{Packs: mustPacks(t), DataDir: dataDir}, []string{"text.nlu"})
		if err != nil {
			t.Fatal(err)
		}
		opts.Stages = stages
	}
	srv, err := server.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: hs.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, http: hs, cfg: cfg, router: router}
}

// TestTenantPacks limits acme to the appliances pack: the other packs are refused to it (and to it
// only) when starting a conversation, through the OpenAI-compatible endpoint and for pack files.
func TestTenantPacks(t *testing.T) {
	dir := t.TempDir()
	cs := credentials(t, dir)
	acme, globex := newKey(t, cs, "acme", store.KeyPublishable), newKey(t, cs, "globex", store.KeyPublishable)
	f := newFixtureWith(t, dir, server.Options{}, func(c *config.Config) {
		c.Tenants = config.Tenants{"acme": {Packs: []string{"appliances"}}}
	})
	chat := map[string]any{"model": "bank", "messages": []map[string]string{{"role": "user", "content": "hi"}}}
	for _, tc := range []struct {
		name, method, path, key string
		body                    any
		want                    int
	}{
		{"allowed pack", "POST", "/v1/conversations", acme, map[string]string{"pack": "appliances"}, 201},
		{"other pack", "POST", "/v1/conversations", acme, map[string]string{"pack": "bank"}, 400},
		{"other tenant unrestricted", "POST", "/v1/conversations", globex, map[string]string{"pack": "bank"}, 201},
		{"pack files", "GET", "/v1/packs/bank/parts?format=json", acme, nil, 404},
		{"model", "GET", "/v1/models/bank", acme, nil, 404},
		{"chat model", "POST", "/v1/chat/completions", acme, chat, 404},
		{"chat model, other tenant", "POST", "/v1/chat/completions", globex, chat, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := f.call(tc.method, tc.path, tc.key, tc.body); code != tc.want {
				t.Fatalf("%d, want %d: %s", code, tc.want, body)
			}
		})
	}
	for _, tc := range []struct {
		path, list, key string
	}{{"/v1/packs", "packs", "name"}, {"/v1/models", "data", "id"}} {
		names := func(key string) []string {
			_, body := f.call("GET", tc.path, key, nil)
			var v map[string][]map[string]any
			json.Unmarshal(body, &v)
			var out []string
			for _, it := range v[tc.list] {
				out = append(out, it[tc.key].(string))
			}
			return out
		}
		if got := names(acme); strings.Join(got, ",") != "appliances" {
			t.Errorf("acme's %s: %v, want only appliances", tc.path, got)
		}
		if got := names(globex); len(got) < 3 {
			t.Errorf("globex's %s: %v, want every pack", tc.path, got)
		}
	}
}

// TestEraseThroughAPI erases a conversation with a photo as the tenant's admin: the conversation
// and its photo are gone, the photo another conversation also sent stays, and the audit trail says
// who erased it.
func TestEraseThroughAPI(t *testing.T) {
	w := newTenantWorld(t)
	f := w.f
	// A second acme conversation sends the same photo: that blob must survive the erase.
	code, body := f.call("POST", "/v1/conversations", w.acme, map[string]string{"pack": "appliances"})
	if code != 201 {
		t.Fatalf("%d %s", code, body)
	}
	var c struct{ ID string }
	json.Unmarshal(body, &c)
	mp, ct := multipartBody(t, nil, map[string][]byte{"image": insightPhoto(t)})
	if code, body := f.call("POST", "/v1/conversations/"+c.ID+"/messages", w.acme, mp, "Content-Type", ct); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if code, _ := f.call("DELETE", "/v1/conversations/"+w.conv, w.acmePK, nil); code != 403 {
		t.Fatalf("a publishable key erases: %d, want 403", code)
	}
	if code, body := f.call("DELETE", "/v1/conversations/"+w.conv, w.acme, nil); code != 200 || !bytes.Contains(body, []byte(`"blobs_deleted":0`)) {
		t.Fatalf("erase (the shared photo stays): %d %s", code, body)
	}
	if code, _ := f.call("GET", "/v1/conversations/"+w.conv, w.acme, nil); code != 404 {
		t.Fatalf("the erased conversation: %d, want 404", code)
	}
	if code, _ := f.call("GET", "/v1/blobs/"+w.blob, w.acme, nil); code != 200 {
		t.Fatalf("the photo the other conversation still uses: %d, want 200", code)
	}
	if code, body := f.call("DELETE", "/v1/conversations/"+c.ID, w.acme, nil); code != 200 || !bytes.Contains(body, []byte(`"blobs_deleted":1`)) {
		t.Fatalf("erase of the last conversation with the photo: %d %s", code, body)
	}
	if code, _ := f.call("GET", "/v1/blobs/"+w.blob, w.acme, nil); code != 404 {
		t.Fatalf("the photo after both erases: %d, want 404", code)
	}
	if _, err := os.Stat(filepath.Join(f.cfg.DataDir, "blobs", w.blob[:2], w.blob[2:4], w.blob)); !os.IsNotExist(err) {
		t.Fatalf("the photo's file is still on disk: %v", err)
	}
	_, body = f.call("GET", "/v1/audit?conversation="+w.conv, w.acme, nil)
	if !bytes.Contains(body, []byte(`"action":"erase"`)) {
		t.Fatalf("no audit record of the erase: %s", body)
	}
}

// TestConfiguredAPIKey keeps the api_key setting working as a secret key of the default tenant,
// beside keys made with parley keys.
func TestConfiguredAPIKey(t *testing.T) {
	dir := t.TempDir()
	cs := credentials(t, dir)
	other := newKey(t, cs, "acme", store.KeySecret)
	f := newFixtureWith(t, dir, server.Options{}, func(c *config.Config) { c.APIKey = "the-old-shared-api-key-of-this-install" })
	if code, _ := f.call("POST", "/v1/conversations", "", map[string]string{}); code != 401 {
		t.Fatalf("no key: %d, want 401", code)
	}
	if code, _ := f.call("POST", "/v1/conversations", "the-wrong-key", map[string]string{}); code != 401 {
		t.Fatalf("a wrong key: %d, want 401", code)
	}
	code, body := f.call("POST", "/v1/conversations", "the-old-shared-api-key-of-this-install", map[string]string{"pack": "bank"})
	if code != 201 {
		t.Fatalf("api_key: %d %s", code, body)
	}
	var c struct{ ID string }
	json.Unmarshal(body, &c)
	if code, body := f.call("GET", "/v1/handoffs", "the-old-shared-api-key-of-this-install", nil); code != 200 {
		t.Fatalf("api_key on a staff API: %d %s", code, body)
	}
	_, body = f.call("GET", "/v1/conversations/"+c.ID, "the-old-shared-api-key-of-this-install", nil)
	if !bytes.Contains(body, []byte(`"tenant":"default"`)) {
		t.Fatalf("api_key's conversation is not the default tenant's: %s", body)
	}
	if code, _ := f.call("GET", "/v1/conversations/"+c.ID, other, nil); code != 404 {
		t.Fatalf("another tenant's key on the default tenant's conversation: %d, want 404", code)
	}
}

// TestWebChatKeyCookie opens the web chat with a publishable key in its address: the key moves into
// an HttpOnly cookie, which then carries the chat's API calls (the customer API only); a secret key
// is refused there.
func TestWebChatKeyCookie(t *testing.T) {
	dir := t.TempDir()
	cs := credentials(t, dir)
	pk, sk := newKey(t, cs, "acme", store.KeyPublishable), newKey(t, cs, "acme", store.KeySecret)
	f := newFixture(t, dir, server.Options{})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(f.http.URL + "/?key=" + sk)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(resp.Cookies()) != 0 {
		t.Fatalf("a secret key in the address: %d %v", resp.StatusCode, resp.Cookies())
	}
	resp, err = noRedirect.Get(f.http.URL + "/?pack=bank&key=" + pk)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?pack=bank" {
		t.Fatalf("the key is not taken out of the address: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.KeyCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("key cookie %+v", cookie)
	}
	send := func(method, path string, c *http.Cookie) int {
		req, _ := http.NewRequest(method, f.http.URL+path, strings.NewReader(`{"pack":"bank"}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(c)
		code, _ := f.do(req)
		return code
	}
	if code := send("POST", "/v1/conversations", cookie); code != 201 {
		t.Fatalf("the chat with its key cookie: %d", code)
	}
	if code := send("GET", "/v1/handoffs", cookie); code != 403 {
		t.Fatalf("the chat's cookie on a staff API: %d, want 403", code)
	}
	if code := send("GET", "/v1/handoffs", &http.Cookie{Name: auth.KeyCookie, Value: sk}); code != 401 {
		t.Fatalf("a secret key as the chat's cookie: %d, want 401", code)
	}
}
