package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/sqlite"
)

func TestHashVerify(t *testing.T) {
	h := auth.Hash("s3cret")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if h == auth.Hash("s3cret") {
		t.Fatal("two hashes of one secret are equal: no salt")
	}
	for _, tc := range []struct {
		secret string
		want   bool
	}{{"s3cret", true}, {"s3cret ", false}, {"", false}} {
		got, err := auth.Verify(tc.secret, h)
		if err != nil || got != tc.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tc.secret, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=999999999,t=1,p=1$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA", "$argon2id$v=19$m=19456,t=2$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA"} {
		if _, err := auth.Verify("x", bad); !errors.Is(err, auth.ErrBadHash) {
			t.Errorf("Verify with hash %q: %v, want ErrBadHash", bad, err)
		}
	}
}

func TestParseBearer(t *testing.T) {
	for _, tc := range []struct {
		header, want string
		err          error
	}{
		{"Bearer abc", "abc", nil},
		{"bearer   abc", "abc", nil},
		{"", "", auth.ErrNoKey},
		{"Basic abc", "", auth.ErrMalformed},
		{"Bearer", "", auth.ErrMalformed},
		{"Bearer ", "", auth.ErrMalformed},
		{"Bearer a b", "", auth.ErrMalformed},
		{"Bearer " + strings.Repeat("x", 600), "", auth.ErrMalformed},
	} {
		got, err := auth.ParseBearer(tc.header)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("ParseBearer(%.20q) = %q, %v; want %q, %v", tc.header, got, err, tc.want, tc.err)
		}
	}
}

func openStore(t testing.TB) *sqlite.SQLite {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestKeyring(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ring := &auth.Keyring{Store: s}
	tok, k, err := ring.Create(ctx, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	if k.Kind != store.KeySecret || !strings.HasPrefix(tok, "sk_"+k.ID+"_") || len(tok) != 48 {
		t.Fatalf("token %q key %+v", tok, k)
	}
	if k.Hash == "" || strings.Contains(k.Hash, tok[16:]) {
		t.Fatal("the secret is stored in the clear")
	}
	pub, _, err := ring.Create(ctx, "acme", store.KeyPublishable)
	if err != nil || !strings.HasPrefix(pub, "pk_") {
		t.Fatalf("publishable: %q %v", pub, err)
	}
	if _, _, err := ring.Create(ctx, "acme", "root"); err == nil {
		t.Error("an unknown kind was accepted")
	}
	if _, _, err := ring.Create(ctx, "a b", ""); err == nil {
		t.Error("a tenant name with a space was accepted")
	}
	for _, tc := range []struct {
		name, tok string
		err       error
	}{
		{"valid", tok, nil},
		{"valid again, from the cache", tok, nil},
		{"wrong secret", tok[:len(tok)-1] + "x", auth.ErrUnknownKey},
		{"wrong kind", "pk_" + tok[3:], auth.ErrUnknownKey},
		{"unknown id", "sk_000000000000_" + tok[16:], auth.ErrUnknownKey},
		{"malformed", "sk_short", auth.ErrMalformed},
	} {
		got, err := ring.Check(ctx, tc.tok)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: Check = %v, want %v", tc.name, err, tc.err)
		}
		if err == nil && (got.Tenant != "acme" || got.ID != k.ID) {
			t.Errorf("%s: key %+v", tc.name, got)
		}
	}
	if _, err := ring.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Check(ctx, tok); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("a revoked key: %v", err)
	}
	if _, _, err := ring.Rotate(ctx, k.ID); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("rotating a revoked key: %v", err)
	}
}

func TestStaffSessions(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := time.Now()
	st := &auth.Staff{Store: s, TTL: time.Hour, Now: func() time.Time { return now }}
	if _, err := st.Add(ctx, "acme", "Ann <ann@acme.test>", store.RoleStaffAgent, "long enough"); err == nil {
		t.Error("a display name was accepted as an email")
	}
	if _, err := st.Add(ctx, "acme", "ann@acme.test", "owner", "long enough"); err == nil {
		t.Error("an unknown role was accepted")
	}
	if _, err := st.Add(ctx, "acme", "ann@acme.test", store.RoleStaffAgent, "short"); err == nil {
		t.Error("a short password was accepted")
	}
	if _, err := st.Add(ctx, "acme", "ann@acme.test", store.RoleStaffAgent, "long enough"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := st.SignIn(ctx, "ann@acme.test", "wrong one"); !errors.Is(err, auth.ErrSignIn) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, _, err := st.SignIn(ctx, "bob@acme.test", "long enough"); !errors.Is(err, auth.ErrSignIn) {
		t.Fatalf("unknown user: %v", err)
	}
	tok, ss, u, err := st.SignIn(ctx, "ANN@acme.test", "long enough")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ann@acme.test" || len(tok) != 43 || ss.CSRF == "" || ss.TokenHash == tok {
		t.Fatalf("token %q session %+v user %+v", tok, ss, u)
	}
	got, gu, err := st.Session(ctx, tok)
	if err != nil || got.CSRF != ss.CSRF || gu.ID != u.ID {
		t.Fatalf("Session: %+v %+v %v", got, gu, err)
	}
	if !auth.CheckCSRF(got, ss.CSRF) || auth.CheckCSRF(got, "") || auth.CheckCSRF(got, ss.CSRF+"x") {
		t.Error("CheckCSRF")
	}
	now = now.Add(2 * time.Hour)
	if _, _, err := st.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("an expired session: %v", err)
	}
	if _, _, err := st.Session(ctx, "not a token"); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("a malformed cookie: %v", err)
	}
}
