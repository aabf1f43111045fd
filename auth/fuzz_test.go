package auth_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/auth"
)

// FuzzAuthorization feeds arbitrary Authorization header values through the parsers a request
// meets: the header, then the key token inside it. Neither may panic, and what they accept must be
// well formed.
func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer sk_0123456789ab_" + strings.Repeat("A", 32), "Bearer pk_0123456789ab_x", "bearer  x",
		"Basic dXNlcjpwYXNz", "", "Bearer \x00", "Bearer sk_0123456789ab-" + strings.Repeat("a", 32)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, err := auth.ParseBearer(header)
		if err != nil {
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
			t.Fatalf("ParseBearer(%q) accepted %q", header, tok)
		}
		kind, id, secret, err := auth.ParseKey(tok)
		if err != nil {
			return
		}
		if (kind != "secret" && kind != "publishable") || len(id) != 12 || len(secret) != 32 || !strings.HasSuffix(tok, id+"_"+secret) {
			t.Fatalf("ParseKey(%q) = %q %q %q", tok, kind, id, secret)
		}
	})
}

// FuzzSessionCookie feeds arbitrary cookie values to the session token check.
func FuzzSessionCookie(f *testing.F) {
	for _, s := range []string{auth.Token(32), "", strings.Repeat("=", 43), "a;b", strings.Repeat("é", 22)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, err := auth.ParseSessionToken(v)
		if err != nil {
			return
		}
		if len(tok) != 43 || strings.ContainsAny(tok, "=;, \"") {
			t.Fatalf("accepted %q", tok)
		}
	})
}

// FuzzStoredHash feeds arbitrary stored hashes to Verify: a corrupt or hostile row must fail
// cleanly, never panic or run argon2 with absurd parameters.
func FuzzStoredHash(f *testing.F) {
	f.Add(auth.Hash("x"))
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$$")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA")
	f.Fuzz(func(t *testing.T, h string) {
		auth.Verify("x", h)
	})
}
