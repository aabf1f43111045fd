package auth_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/store"
)

// BenchmarkHash is the cost of one argon2id hash (a key's first check on a node, a sign-in).
func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		auth.Hash("a secret of 32 letters and digits")
	}
}

// BenchmarkCheckCached is a request's key check once the node has verified the key: one indexed
// read of the key's row (so a revocation anywhere shows at once) and a cache hit.
func BenchmarkCheckCached(b *testing.B) {
	s := openStore(b)
	ring := &auth.Keyring{Store: s}
	ctx := context.Background()
	tok, _, err := ring.Create(ctx, "acme", store.KeySecret)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ring.Check(ctx, tok); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ring.Check(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
