package server_test

import (
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/store"
)

// TestTenantOf names the tenant of a request by its key: default while the install is open, the
// key's tenant once keys exist, nobody for a missing or unknown key.
func TestTenantOf(t *testing.T) {
	anon := httptest.NewRequest("GET", "/v1/handoffs", nil)
	if got := newFixture(t, t.TempDir(), server.Options{}).srv.TenantOf(anon); got != store.DefaultTenant {
		t.Fatalf("open install: TenantOf = %q, want %q", got, store.DefaultTenant)
	}
	dir := t.TempDir()
	key := newKey(t, credentials(t, dir), "acme", store.KeyPublishable)
	f := newFixture(t, dir, server.Options{})
	withKey := httptest.NewRequest("POST", "/v1/conversations", nil)
	withKey.Header.Set("Authorization", "Bearer "+key)
	if got := f.srv.TenantOf(withKey); got != "acme" {
		t.Fatalf("acme's key: TenantOf = %q, want acme", got)
	}
	if got := f.srv.TenantOf(anon); got != "" {
		t.Fatalf("no key once keys exist: TenantOf = %q, want none", got)
	}
	bad := httptest.NewRequest("GET", "/v1/handoffs", nil)
	bad.Header.Set("Authorization", "Bearer pk_0123456789ab_notarealkeynotarealkeynotareal")
	if got := f.srv.TenantOf(bad); got != "" {
		t.Fatalf("an unknown key: TenantOf = %q, want none", got)
	}
}
