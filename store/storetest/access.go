package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/store"
)

// accessTests are the suites of tenant scoping, keys, staff, sessions, audit and erase; Run runs
// them on every backend.
var accessTests = []struct {
	name string
	fn   func(t *testing.T, open func(t *testing.T) store.Store)
}{
	{"TenantScoping", testTenantScoping},
	{"TenantInsights", testTenantInsights},
	{"Keys", testKeys},
	{"Staff", testStaff},
	{"Sessions", testSessions},
	{"Audit", testAudit},
	{"Erase", testErase},
	{"ExpireMedia", testExpireMedia},
}

func need[T any](t *testing.T, s store.Store) T {
	t.Helper()
	v, ok := s.(T)
	if !ok {
		var zero T
		t.Fatalf("%T does not implement %T", s, zero)
	}
	return v
}

func testTenantScoping(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	a := newConversation("ta", 1)
	if err := s.CreateConversation(store.WithTenant(ctx, "acme"), a); err != nil {
		t.Fatal(err)
	}
	if a.Tenant != "acme" {
		t.Fatalf("tenant from the context: got %q", a.Tenant)
	}
	d := newConversation("td", 2)
	mustCreate(t, s, d)
	if d.Tenant != store.DefaultTenant {
		t.Fatalf("no tenant: got %q, want %q", d.Tenant, store.DefaultTenant)
	}
	g := newConversation("tg", 3)
	g.Tenant = "globex" // an explicit tenant wins over the context's
	if err := s.CreateConversation(store.WithTenant(ctx, "acme"), g); err != nil {
		t.Fatal(err)
	}
	ids := func(f store.Filter) []string {
		cs, err := s.Conversations(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		tenant string
		want   []string
	}{{"acme", []string{"ta"}}, {"globex", []string{"tg"}}, {store.DefaultTenant, []string{"td"}}, {"", []string{"tg", "td", "ta"}}, {"nobody", []string{}}} {
		if got := ids(store.Filter{Tenant: tc.tenant}); !slices.Equal(got, tc.want) {
			t.Errorf("Filter{Tenant: %q}: got %v, want %v", tc.tenant, got, tc.want)
		}
	}
	// The tenant survives an update and a restart.
	a.Status = store.StatusHandoff
	if err := s.UpdateConversation(ctx, a); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t)
	got, err := s.Conversation(ctx, "ta")
	if err != nil {
		t.Fatal(err)
	}
	if got.Tenant != "acme" || got.Status != store.StatusHandoff {
		t.Fatalf("after reopen: tenant %q status %q", got.Tenant, got.Status)
	}
}

func testTenantInsights(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	in, ok := s.(store.Insights)
	if !ok {
		t.Skip("backend has no insights")
	}
	for i, tenant := range []string{"acme", "acme", "globex"} {
		c := newConversation("i"+string(rune('a'+i)), i)
		if err := s.CreateConversation(store.WithTenant(ctx, tenant), c); err != nil {
			t.Fatal(err)
		}
		mustAdd(t, s, &store.Message{ConversationID: c.ID, Role: store.RoleCustomer, Text: "my card was swallowed", CreatedAt: at(i)})
	}
	for _, tc := range []struct {
		tenant string
		want   int
	}{{"acme", 2}, {"globex", 1}, {"", 3}, {"nobody", 0}} {
		for _, b := range []time.Duration{time.Hour, 90 * time.Minute} { // rollup and plain paths
			st, err := in.Stats(ctx, store.StatsQuery{Bucket: b, Tenant: tc.tenant})
			if err != nil {
				t.Fatal(err)
			}
			if st.Overall.Conversations != tc.want {
				t.Errorf("Stats(tenant %q, bucket %v): %d conversations, want %d", tc.tenant, b, st.Overall.Conversations, tc.want)
			}
		}
		found, err := in.Search(ctx, store.SearchQuery{Text: "card", Tenant: tc.tenant})
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != tc.want {
			t.Errorf("Search(tenant %q): %d found, want %d", tc.tenant, len(found), tc.want)
		}
	}
}

func testKeys(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	a := need[store.Access](t, s)
	if has, err := a.Credentials(ctx); err != nil || has {
		t.Fatalf("Credentials of an empty store: %v, %v", has, err)
	}
	if _, err := a.Key(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Key(unknown): %v, want ErrNotFound", err)
	}
	k1 := &store.Key{ID: "k1", Tenant: "acme", Kind: store.KeySecret, Hash: "h1", CreatedAt: at(1)}
	k2 := &store.Key{ID: "k2", Tenant: "globex", Kind: store.KeyPublishable, Hash: "h2", CreatedAt: at(2)}
	for _, k := range []*store.Key{k1, k2} {
		if err := a.SaveKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if has, err := a.Credentials(ctx); err != nil || !has {
		t.Fatalf("Credentials with keys: %v, %v", has, err)
	}
	revoked := at(5)
	k1.Hash, k1.RevokedAt = "h1b", &revoked
	if err := a.SaveKey(ctx, k1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t)
	a = need[store.Access](t, s)
	got, err := a.Key(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Tenant != "acme" || got.Kind != store.KeySecret || got.Hash != "h1b" || got.RevokedAt == nil || !sameTime(*got.RevokedAt, revoked) || !sameTime(got.CreatedAt, at(1)) {
		t.Fatalf("Key(k1) = %+v", got)
	}
	for _, tc := range []struct {
		tenant string
		want   []string
	}{{"", []string{"k1", "k2"}}, {"globex", []string{"k2"}}, {"nobody", nil}} {
		keys, err := a.Keys(ctx, tc.tenant)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range keys {
			ids = append(ids, k.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("Keys(%q) = %v, want %v", tc.tenant, ids, tc.want)
		}
	}
}

func testStaff(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	a := need[store.Access](t, s)
	u := &store.StaffUser{Tenant: "acme", Email: "ann@acme.test", Role: store.RoleStaffAgent, PasswordHash: "p1"}
	if err := a.SaveStaff(ctx, u); err != nil {
		t.Fatal(err)
	}
	if u.ID == "" {
		t.Fatal("SaveStaff set no ID")
	}
	if has, err := a.Credentials(ctx); err != nil || !has {
		t.Fatalf("Credentials with a staff user: %v, %v", has, err)
	}
	again := &store.StaffUser{Tenant: "acme", Email: "ann@acme.test", Role: store.RoleStaffAdmin, PasswordHash: "p2"}
	if err := a.SaveStaff(ctx, again); err != nil {
		t.Fatal(err)
	}
	if again.ID != u.ID {
		t.Fatalf("saving the same email made a new user %q (was %q)", again.ID, u.ID)
	}
	other := &store.StaffUser{Tenant: "globex", Email: "ann@acme.test", Role: store.RoleStaffAdmin, PasswordHash: "p3"}
	if err := a.SaveStaff(ctx, other); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("the same email for another tenant: %v, want ErrDuplicate", err)
	}
	for _, q := range [][2]string{{"", "ann@acme.test"}, {u.ID, ""}} {
		got, err := a.Staff(ctx, q[0], q[1])
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || got.Tenant != "acme" || got.Role != store.RoleStaffAdmin || got.PasswordHash != "p2" {
			t.Fatalf("Staff(%q, %q) = %+v", q[0], q[1], got)
		}
	}
	if _, err := a.Staff(ctx, "", "bob@acme.test"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown email: %v, want ErrNotFound", err)
	}
}

func testSessions(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	a := need[store.Access](t, s)
	ss := need[store.Sessions](t, s)
	u := &store.StaffUser{Tenant: "acme", Email: "ann@acme.test", Role: store.RoleStaffAgent, PasswordHash: "p"}
	if err := a.SaveStaff(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	live := &store.Session{TokenHash: "live", StaffID: u.ID, CSRF: "c1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	old := &store.Session{TokenHash: "old", StaffID: u.ID, CSRF: "c2", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	for _, x := range []*store.Session{live, old} {
		if err := ss.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := ss.CreateSession(ctx, &store.Session{TokenHash: "x", StaffID: "nobody", CSRF: "c", ExpiresAt: now.Add(time.Hour)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session of an unknown user: %v, want ErrNotFound", err)
	}
	s.Close()
	s = open(t) // sessions are shared through the store: they survive a restart
	ss = need[store.Sessions](t, s)
	got, err := ss.Session(ctx, "live")
	if err != nil {
		t.Fatal(err)
	}
	if got.StaffID != u.ID || got.CSRF != "c1" || !sameTime(got.ExpiresAt, live.ExpiresAt) {
		t.Fatalf("Session = %+v", got)
	}
	if _, err := ss.Session(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session: %v, want ErrNotFound", err)
	}
	if err := ss.DeleteSession(ctx, "live"); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Session(ctx, "live"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session: %v, want ErrNotFound", err)
	}
	if err := ss.DeleteSession(ctx, "live"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

func testAudit(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	au := need[store.Auditor](t, s)
	entries := []*store.AuditEntry{
		{At: at(1), Tenant: "acme", Actor: "staff:ann@acme.test", Action: "sign_in"},
		{At: at(2), Tenant: "acme", Actor: "staff:ann@acme.test", Action: "GET /v1/conversations/{id}", ConversationID: "c1"},
		{At: at(3), Tenant: "globex", Actor: "key:abc", Action: "GET /v1/handoffs"},
		{At: at(4), Tenant: "acme", Actor: "staff:ann@acme.test", Action: "POST /v1/conversations/{id}/agent-reply", ConversationID: "c1", Detail: "x"},
	}
	for _, e := range entries {
		if err := au.AddAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 {
			t.Fatal("AddAudit set no ID")
		}
	}
	actions := func(f store.AuditFilter) []string {
		got, err := au.Audit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, e := range got {
			out = append(out, e.Action)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"tenant newest first", store.AuditFilter{Tenant: "acme"}, []string{"POST /v1/conversations/{id}/agent-reply", "GET /v1/conversations/{id}", "sign_in"}},
		{"conversation", store.AuditFilter{Tenant: "acme", ConversationID: "c1"}, []string{"POST /v1/conversations/{id}/agent-reply", "GET /v1/conversations/{id}"}},
		{"other tenant", store.AuditFilter{Tenant: "globex"}, []string{"GET /v1/handoffs"}},
		{"limit", store.AuditFilter{Limit: 1}, []string{"POST /v1/conversations/{id}/agent-reply"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := actions(tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	got, _ := au.Audit(ctx, store.AuditFilter{Tenant: "acme", Limit: 1})
	if e := got[0]; e.Actor != "staff:ann@acme.test" || e.ConversationID != "c1" || e.Detail != "x" || !sameTime(e.At, at(4)) {
		t.Errorf("entry = %+v", e)
	}
}

// hashOf is a valid-looking blob hash made of one repeated hex digit.
func hashOf(c string) string { return strings.Repeat(c, 64) }

func addWithParts(t *testing.T, s store.Store, conv string, n int, hashes ...string) *store.Message {
	t.Helper()
	m := &store.Message{ConversationID: conv, Role: store.RoleCustomer, Text: "photo", CreatedAt: at(n)}
	for _, h := range hashes {
		m.Parts = append(m.Parts, store.BlobRef{Kind: "image", Hash: h, ContentType: "image/png", Size: 10})
	}
	return mustAdd(t, s, m)
}

func testErase(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	ret := need[store.Retention](t, s)
	a, b := newConversation("ea", 1), newConversation("eb", 2)
	mustCreate(t, s, a)
	if err := s.CreateConversation(store.WithTenant(ctx, "acme"), b); err != nil {
		t.Fatal(err)
	}
	shared, own, spoken := hashOf("a"), hashOf("b"), hashOf("c")
	m := addWithParts(t, s, "ea", 1, shared, own)
	reply, _ := json.Marshal(map[string]any{"parts": []map[string]string{{"type": "audio", "url": "/v1/blobs/" + spoken}}})
	if err := s.SetReply(ctx, "ea", m.ID, reply, nil); err != nil {
		t.Fatal(err)
	}
	addWithParts(t, s, "eb", 2, shared)
	thumb := hashOf("e")
	if err := ret.AddBlobRef(ctx, "ea", "edge:thumbnail", thumb, at(3)); err != nil {
		t.Fatal(err)
	}
	if err := ret.AddBlobRef(ctx, "ea", "edge:thumbnail", "not-a-hash", at(3)); !errors.Is(err, store.ErrBadValue) {
		t.Fatalf("AddBlobRef with a bad hash: %v, want ErrBadValue", err)
	}
	for _, tc := range []struct {
		tenant, hash string
		want         bool
	}{{store.DefaultTenant, own, true}, {store.DefaultTenant, spoken, true}, {store.DefaultTenant, shared, true},
		{store.DefaultTenant, thumb, true}, {"acme", thumb, false},
		{"acme", shared, true}, {"acme", own, false}, {"acme", spoken, false}, {store.DefaultTenant, hashOf("d"), false}} {
		got, err := ret.BlobReferenced(ctx, tc.tenant, tc.hash)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("BlobReferenced(%s, %s…) = %v, want %v", tc.tenant, tc.hash[:4], got, tc.want)
		}
	}
	orphans, err := ret.EraseConversation(ctx, "ea")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(orphans)
	want := []string{own, spoken, thumb}
	slices.Sort(want)
	if !slices.Equal(orphans, want) {
		t.Fatalf("orphans = %v, want %v (the shared blob stays)", orphans, want)
	}
	if _, err := s.Conversation(ctx, "ea"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erased conversation: %v, want ErrNotFound", err)
	}
	if _, err := s.Messages(ctx, "ea"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("messages of an erased conversation: %v, want ErrNotFound", err)
	}
	if ok, _ := ret.BlobReferenced(ctx, store.DefaultTenant, own); ok {
		t.Error("an erased conversation still references its blob")
	}
	if ok, _ := ret.BlobReferenced(ctx, "acme", shared); !ok {
		t.Error("erasing one conversation dropped another's reference")
	}
	if _, err := ret.EraseConversation(ctx, "ea"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erasing twice: %v, want ErrNotFound", err)
	}
	if msgs, err := s.Messages(ctx, "eb"); err != nil || len(msgs) != 1 {
		t.Fatalf("the other conversation's messages: %d, %v", len(msgs), err)
	}
}

func testExpireMedia(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	ret := need[store.Retention](t, s)
	for _, c := range []struct{ id, tenant string }{{"xa", "acme"}, {"xb", "acme"}, {"xg", "globex"}} {
		if err := s.CreateConversation(store.WithTenant(ctx, c.tenant), newConversation(c.id, 0)); err != nil {
			t.Fatal(err)
		}
	}
	old, shared, fresh, sameTenant := hashOf("1"), hashOf("2"), hashOf("3"), hashOf("4")
	addWithParts(t, s, "xa", 1, old, shared, sameTenant)
	addWithParts(t, s, "xg", 1, shared)             // another tenant still uses it
	addWithParts(t, s, "xb", 20, fresh, sameTenant) // newer than the cutoff
	got, err := ret.ExpireMedia(ctx, "acme", at(10))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{old}; !slices.Equal(got, want) {
		t.Fatalf("ExpireMedia = %v, want %v", got, want)
	}
	if ok, _ := ret.BlobReferenced(ctx, "acme", old); ok {
		t.Error("expired media still served to its tenant")
	}
	if ok, _ := ret.BlobReferenced(ctx, "globex", shared); !ok {
		t.Error("another tenant lost a shared blob")
	}
	if again, err := ret.ExpireMedia(ctx, "acme", at(10)); err != nil || len(again) != 0 {
		t.Fatalf("second sweep: %v, %v; want nothing", again, err)
	}
	msgs, err := s.Messages(ctx, "xa")
	if err != nil || len(msgs) != 1 || msgs[0].Text != "photo" || len(msgs[0].Parts) != 3 {
		t.Fatalf("the facts stay: %v %v", msgs, err)
	}
}
