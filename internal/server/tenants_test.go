package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/sqlite"
)

// credentials opens the store of a data directory beside the server (as `parley keys` does from
// another process) for making keys and staff users.
func credentials(t *testing.T, dir string) *sqlite.SQLite {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newKey(t *testing.T, s *sqlite.SQLite, tenant, kind string) string {
	t.Helper()
	tok, _, err := (&auth.Keyring{Store: s}).Create(context.Background(), tenant, kind)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call sends a request with a Bearer key (none when empty) and checks the answer against the spec.
func (f *fixture) call(method, path, key string, body any, header ...string) (int, []byte) {
	f.t.Helper()
	var r io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case *bytes.Buffer:
		r = b
	default:
		raw, _ := json.Marshal(b)
		r, ct = bytes.NewReader(raw), "application/json"
	}
	req, _ := http.NewRequest(method, f.http.URL+path, r)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if strings.HasSuffix(path, "/parts") || strings.HasSuffix(path, "/charts") {
		return f.plain(req) // HTML, which the response validator cannot read
	}
	return f.do(req)
}

// plain sends a request without checking the answer against the spec.
func (f *fixture) plain(req *http.Request) (int, []byte) {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// tenantWorld is a server with two tenants: acme owns a conversation with a photo, a handoff and a
// parts order.
type tenantWorld struct {
	f                      *fixture
	store                  *sqlite.SQLite
	acme, acmePK, globex   string // keys
	globexPK               string
	conv, blob, order, pic string
}

func newTenantWorld(t *testing.T) *tenantWorld {
	dir := t.TempDir()
	cs := credentials(t, dir)
	w := &tenantWorld{store: cs}
	w.acme, w.acmePK = newKey(t, cs, "acme", store.KeySecret), newKey(t, cs, "acme", store.KeyPublishable)
	w.globex, w.globexPK = newKey(t, cs, "globex", store.KeySecret), newKey(t, cs, "globex", store.KeyPublishable)
	live := func(*server.Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusSwitchingProtocols) })
	}
	w.f = newFixture(t, dir, server.Options{Live: live})
	f := w.f
	code, out := f.call("POST", "/v1/conversations", w.acmePK, map[string]string{"pack": "appliances"})
	if code != 201 {
		t.Fatalf("acme creates a conversation: %d %s", code, out)
	}
	var created struct{ ID string }
	json.Unmarshal(out, &created)
	w.conv = created.ID
	body, ct := multipartBody(t, map[string]string{"text": "my card 4111 1111 1111 1111 is stuck, here is a photo"},
		map[string][]byte{"image": insightPhoto(t)})
	code, out = f.call("POST", "/v1/conversations/"+w.conv+"/messages", w.acmePK, body, "Content-Type", ct)
	if code != 200 {
		t.Fatalf("acme posts a photo: %d %s", code, out)
	}
	code, out = f.call("GET", "/v1/conversations/"+w.conv, w.acme, nil)
	var conv struct {
		Tenant   string
		Messages []struct{ Parts []store.BlobRef }
	}
	json.Unmarshal(out, &conv)
	if code != 200 || conv.Tenant != "acme" || len(conv.Messages) == 0 || len(conv.Messages[0].Parts) != 1 {
		t.Fatalf("acme reads its conversation: %d %s", code, out)
	}
	w.blob = conv.Messages[0].Parts[0].Hash
	if code, out := f.call("POST", "/v1/conversations/"+w.conv+"/handoff", w.acmePK, map[string]string{"reason": "test"}); code != 200 {
		t.Fatalf("handoff: %d %s", code, out)
	}
	code, out = f.call("POST", "/v1/orders", w.acmePK, map[string]any{"pack": "appliances", "conversation_id": w.conv,
		"name": "Ada", "address": "1 Main St", "items": []map[string]any{{"sku": "WL-0505", "qty": 1}}})
	if code != 201 {
		t.Fatalf("order: %d %s", code, out)
	}
	var order struct{ ID string }
	json.Unmarshal(out, &order)
	w.order = order.ID
	return w
}

// crossCase is what another tenant's secret key gets on one operation of the spec.
type crossCase struct {
	// call makes the request as the given key and returns status and body.
	call func(w *tenantWorld, key string) (int, []byte)
	// want is the status for globex; ok, when set, checks a 200 body shows nothing of acme's.
	want int
	ok   func(t *testing.T, w *tenantWorld, body []byte)
	// staff marks the staff APIs: a publishable key gets 403 there.
	staff bool
	// public operations answer without a key; want 0 takes any answer but 401.
	public bool
}

func simple(method, path string) func(w *tenantWorld, key string) (int, []byte) {
	return func(w *tenantWorld, key string) (int, []byte) {
		p := strings.NewReplacer("{id}", w.conv, "{hash}", w.blob).Replace(path)
		return w.f.call(method, p, key, nil)
	}
}

func jsonCall(method, path string, body func(w *tenantWorld) any, header ...string) func(w *tenantWorld, key string) (int, []byte) {
	return func(w *tenantWorld, key string) (int, []byte) {
		h := append([]string(nil), header...)
		for i := range h {
			h[i] = strings.ReplaceAll(h[i], "{id}", w.conv)
		}
		return w.f.call(method, strings.ReplaceAll(path, "{id}", w.conv), key, body(w), h...)
	}
}

func lacks(what func(w *tenantWorld) string) func(t *testing.T, w *tenantWorld, body []byte) {
	return func(t *testing.T, w *tenantWorld, body []byte) {
		if s := what(w); bytes.Contains(body, []byte(s)) {
			t.Errorf("another tenant's answer shows %q: %s", s, body)
		}
	}
}

func noConv(w *tenantWorld) string { return w.conv }

var crossCases = map[string]crossCase{
	"POST /v1/conversations":               {call: jsonCall("POST", "/v1/conversations", func(*tenantWorld) any { return map[string]string{"pack": "bank"} }), want: 201},
	"GET /v1/conversations/{id}":           {call: simple("GET", "/v1/conversations/{id}"), want: 404},
	"DELETE /v1/conversations/{id}":        {call: simple("DELETE", "/v1/conversations/{id}"), want: 404, staff: true},
	"POST /v1/conversations/{id}/messages": {call: jsonCall("POST", "/v1/conversations/{id}/messages", func(*tenantWorld) any { return map[string]string{"text": "hi"} }), want: 404},
	"GET /v1/conversations/{id}/events":    {call: simple("GET", "/v1/conversations/{id}/events"), want: 404},
	"GET /v1/conversations/{id}/live":      {call: simple("GET", "/v1/conversations/{id}/live"), want: 404},
	"POST /v1/conversations/{id}/csat":     {call: jsonCall("POST", "/v1/conversations/{id}/csat", func(*tenantWorld) any { return map[string]int{"score": 1} }), want: 404},
	"POST /v1/conversations/{id}/handoff":  {call: jsonCall("POST", "/v1/conversations/{id}/handoff", func(*tenantWorld) any { return map[string]string{} }), want: 404},
	"POST /v1/conversations/{id}/agent-reply": {call: jsonCall("POST", "/v1/conversations/{id}/agent-reply", func(*tenantWorld) any { return map[string]string{"text": "hello"} }),
		want: 404, staff: true},
	"GET /v1/handoffs":                     {call: simple("GET", "/v1/handoffs"), want: 200, ok: lacks(noConv), staff: true},
	"GET /v1/stats":                        {call: simple("GET", "/v1/stats"), want: 200, ok: statsEmpty, staff: true},
	"GET /v1/stats/charts":                 {call: simple("GET", "/v1/stats/charts"), want: 200, ok: lacks(func(*tenantWorld) string { return "appliances" }), staff: true},
	"GET /v1/explore":                      {call: simple("GET", "/v1/explore"), want: 200, ok: lacks(noConv), staff: true},
	"GET /v1/conversations/{id}/timeline":  {call: simple("GET", "/v1/conversations/{id}/timeline"), want: 404, staff: true},
	"GET /v1/conversations/{id}/decisions": {call: simple("GET", "/v1/conversations/{id}/decisions"), want: 404, staff: true},
	"GET /v1/conversations/{id}/bytes":     {call: simple("GET", "/v1/conversations/{id}/bytes"), want: 404, staff: true},
	"POST /v1/conversations/{id}/edge":     {call: jsonCall("POST", "/v1/conversations/{id}/edge", func(*tenantWorld) any { return map[string]any{"bytes": []any{}} }), want: 404},
	"GET /v1/blobs/{hash}":                 {call: simple("GET", "/v1/blobs/{hash}"), want: 404},
	"GET /v1/packs":                        {call: simple("GET", "/v1/packs"), want: 200},
	"GET /v1/packs/{pack}/assets/{name}":   {call: simple("GET", "/v1/packs/bank/assets/none.png"), want: 404},
	"GET /v1/packs/{pack}/articles/{id}":   {call: simple("GET", "/v1/packs/bank/articles/none"), want: 404},
	"GET /v1/packs/{pack}/parts":           {call: simple("GET", "/v1/packs/appliances/parts"), want: 200},
	"GET /v1/models":                       {call: simple("GET", "/v1/models"), want: 200},
	"GET /v1/models/{model}":               {call: simple("GET", "/v1/models/bank"), want: 200},
	"GET /v1/orders/{id}": {call: func(w *tenantWorld, key string) (int, []byte) {
		return w.f.call("GET", "/v1/orders/"+w.order, key, nil)
	}, want: 404},
	"POST /v1/orders": {call: jsonCall("POST", "/v1/orders", func(w *tenantWorld) any {
		return map[string]any{"pack": "appliances", "conversation_id": w.conv, "name": "Eve", "address": "2 Side St", "items": []map[string]any{{"sku": "WL-0505", "qty": 1}}}
	}), want: 404},
	"POST /v1/chat/completions": {call: jsonCall("POST", "/v1/chat/completions", func(*tenantWorld) any {
		return map[string]any{"model": "appliances", "messages": []map[string]string{{"role": "user", "content": "hi"}}}
	}, server.ConversationHeader, "{id}"), want: 404},
	"GET /v1/auth/session":    {call: simple("GET", "/v1/auth/session"), want: 200, ok: lacks(func(*tenantWorld) string { return "acme" })},
	"DELETE /v1/auth/session": {call: simple("DELETE", "/v1/auth/session"), want: 204},
	"POST /v1/auth/session": {call: jsonCall("POST", "/v1/auth/session", func(*tenantWorld) any {
		return map[string]string{"email": "ann@acme.test", "password": "wrong password"}
	}),
		want: 401, public: true},
	"GET /v1/audit":           {call: simple("GET", "/v1/audit"), want: 200, ok: lacks(noConv), staff: true},
	"GET /edge/manifest.json": {call: simple("GET", "/edge/manifest.json"), public: true}, // 404 until make build
	"GET /edge/{name}":        {call: simple("GET", "/edge/none.wasm"), want: 404, public: true},
	"GET /healthz":            {call: simple("GET", "/healthz"), want: 200, public: true},
	"GET /metrics":            {call: simple("GET", "/metrics"), want: 200, public: true},
}

func statsEmpty(t *testing.T, w *tenantWorld, body []byte) {
	var v struct{ Conversations int }
	json.Unmarshal(body, &v)
	if v.Conversations != 1 { // globex's own conversation from POST /v1/conversations, not acme's
		t.Errorf("globex's stats count %d conversations, want its own 1", v.Conversations)
	}
}

// TestCrossTenantEveryPath walks every operation of the OpenAPI file: another tenant's key finds
// nothing of acme's (404 where an id names it), a publishable key is refused staff APIs (403) and
// no key is refused everything but the public operations (401). A path without a case fails.
func TestCrossTenantEveryPath(t *testing.T) {
	w := newTenantWorld(t)
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	sort.Strings(ops) // POST /v1/conversations runs before GET /v1/stats counts globex's one
	sort.SliceStable(ops, func(i, j int) bool { return ops[i] == "POST /v1/conversations" && ops[j] != ops[i] })
	for _, op := range ops {
		tc, ok := crossCases[op]
		if !ok {
			t.Errorf("%s is in openapi.yaml but has no cross-tenant case", op)
			continue
		}
		t.Run(op, func(t *testing.T) {
			code, body := tc.call(w, w.globex)
			if tc.want == 0 && code == http.StatusUnauthorized {
				t.Fatalf("a public operation wants a key: %s", body)
			}
			if tc.want != 0 && code != tc.want {
				t.Fatalf("globex's secret key: %d, want %d: %s", code, tc.want, body)
			}
			if tc.ok != nil {
				tc.ok(t, w, body)
			}
			if tc.public {
				return
			}
			if code, body := tc.call(w, ""); code != http.StatusUnauthorized {
				t.Errorf("no key: %d, want 401: %s", code, body)
			}
			if code, body := tc.call(w, "sk_000000000000_"+strings.Repeat("x", 32)); code != http.StatusUnauthorized {
				t.Errorf("a made-up key: %d, want 401: %s", code, body)
			}
			if tc.staff {
				if code, body := tc.call(w, w.globexPK); code != http.StatusForbidden {
					t.Errorf("globex's publishable key on a staff API: %d, want 403: %s", code, body)
				}
			}
		})
	}
	// The owner still reaches what the other tenant was refused.
	for _, op := range []string{"GET /v1/conversations/{id}", "GET /v1/blobs/{hash}", "GET /v1/orders/{id}", "GET /v1/conversations/{id}/timeline"} {
		if code, body := crossCases[op].call(w, w.acme); code != 200 {
			t.Errorf("acme's own %s: %d %s", op, code, body)
		}
	}
	if code, body := crossCases["GET /v1/handoffs"].call(w, w.acme); code != 200 || !bytes.Contains(body, []byte(w.conv)) {
		t.Errorf("acme's handoff queue lacks its conversation: %d %s", code, body)
	}
}
