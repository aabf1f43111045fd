package server_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/postgres"
	"github.com/parleyhq/parley/store/postgres/pgtest"
)

// TestAccessAcrossNodes runs two nodes on one PostgreSQL database: a key revoked through one node's
// database is refused by the other at once although that node has it cached, and a staff session
// started on one node works on the other.
func TestAccessAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server; skipped with -short")
	}
	dsn := pgtest.Start(t).FreshDSN(t)
	onPostgres := func(c *config.Config) { c.Store.Driver, c.Store.DSN = "postgres", dsn }
	a := newFixtureWith(t, t.TempDir(), server.Options{}, onPostgres)
	b := newFixtureWith(t, t.TempDir(), server.Options{}, onPostgres)
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ring := &auth.Keyring{Store: db}
	key, k, err := ring.Create(context.Background(), "acme", store.KeySecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&auth.Staff{Store: db}).Add(context.Background(), "acme", "ann@acme.test", store.RoleStaffAdmin, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	code, body := a.call("POST", "/v1/conversations", key, map[string]string{"pack": "bank"})
	if code != 201 {
		t.Fatalf("node a: %d %s", code, body)
	}
	for _, f := range []*fixture{a, b} {
		if code, body := f.call("GET", "/v1/handoffs", key, nil); code != 200 {
			t.Fatalf("before revocation: %d %s", code, body)
		}
	}
	ann := signIn(t, a, "ann@acme.test", "correct horse battery")
	if code, body := b.as(ann, "GET", "/v1/audit", nil, false); code != 200 {
		t.Fatalf("a session from node a on node b: %d %s", code, body)
	}
	if _, err := ring.Revoke(context.Background(), k.ID); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*fixture{"a": a, "b": b} {
		if code, _ := f.call("GET", "/v1/handoffs", key, nil); code != 401 {
			t.Errorf("node %s right after revocation: %d, want 401", name, code)
		}
	}
	if code, _ := b.as(ann, "DELETE", "/v1/auth/session", nil, true); code != 204 {
		t.Fatalf("sign out on node b: %d", code)
	}
	if code, _ := a.as(ann, "GET", "/v1/audit", nil, false); code != 401 {
		t.Errorf("node a after signing out on node b: %d, want 401", code)
	}
}
