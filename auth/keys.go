package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/store"
)

// Errors of key checks. A caller answers each with 401 and never says which it was.
var (
	ErrNoKey      = errors.New("auth: no API key")
	ErrMalformed  = errors.New("auth: malformed API key")
	ErrUnknownKey = errors.New("auth: unknown API key")
	ErrRevoked    = errors.New("auth: revoked API key")
)

// Key tokens are "pk_" or "sk_" (publishable or secret), the key's id (12 hex digits), "_" and
// the secret (32 letters and digits): 48 characters that survive any shell, URL or header.
const (
	idLen     = 12
	secretLen = 32
)

var kindPrefix = map[string]string{store.KeyPublishable: "pk_", store.KeySecret: "sk_"}

// ParseKey splits an API key token into its kind, id and secret.
func ParseKey(token string) (kind, id, secret string, err error) {
	if len(token) != 3+idLen+1+secretLen {
		return "", "", "", ErrMalformed
	}
	switch token[:3] {
	case "pk_":
		kind = store.KeyPublishable
	case "sk_":
		kind = store.KeySecret
	default:
		return "", "", "", ErrMalformed
	}
	id, secret = token[3:3+idLen], token[3+idLen+1:]
	if token[3+idLen] != '_' || !isHex(id) || !isAlnum(secret) {
		return "", "", "", ErrMalformed
	}
	return kind, id, secret, nil
}

// ParseBearer returns the token of an "Authorization: Bearer TOKEN" header value (the scheme in
// any case, one or more spaces after it).
func ParseBearer(header string) (string, error) {
	if header == "" {
		return "", ErrNoKey
	}
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", ErrMalformed
	}
	tok = strings.TrimLeft(tok, " ")
	if tok == "" || len(tok) > 512 || strings.ContainsAny(tok, " \t\r\n") {
		return "", ErrMalformed
	}
	return tok, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newSecret returns n random alphanumeric characters (about 5.95 bits each).
func newSecret(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			if int(b) < 4*len(alnum) && len(out) < n { // 248: no modulo bias
				out = append(out, alnum[int(b)%len(alnum)])
			}
		}
	}
	return string(out)
}

func newKeyID() string {
	b := make([]byte, idLen/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Keyring creates, checks, rotates and revokes API keys kept in a store. Checking looks the key
// up by id on every call (one indexed read, so a key revoked on any node fails at once) and
// verifies the argon2id hash only the first time a node sees a token, caching the result for TTL.
type Keyring struct {
	Store store.Access
	// TTL is how long a verified token is trusted without hashing it again (default 5 minutes).
	TTL time.Duration
	Now func() time.Time

	mu       sync.Mutex
	verified map[string]time.Time // cacheKey -> when it expires
}

func (k *Keyring) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// Create makes a new key of kind for tenant and returns the token, which is shown only now.
func (k *Keyring) Create(ctx context.Context, tenant, kind string) (string, *store.Key, error) {
	if kind == "" {
		kind = store.KeySecret
	}
	if _, ok := kindPrefix[kind]; !ok {
		return "", nil, fmt.Errorf("auth: key kind %q: want publishable or secret", kind)
	}
	if err := ValidTenant(tenant); err != nil {
		return "", nil, err
	}
	id, secret := newKeyID(), newSecret(secretLen)
	key := &store.Key{ID: id, Tenant: tenant, Kind: kind, Hash: Hash(secret), CreatedAt: k.now().UTC()}
	if err := k.Store.SaveKey(ctx, key); err != nil {
		return "", nil, err
	}
	return kindPrefix[kind] + id + "_" + secret, key, nil
}

// Rotate gives the key a new secret, so the old token stops working at once, and returns the new
// token.
func (k *Keyring) Rotate(ctx context.Context, id string) (string, *store.Key, error) {
	key, err := k.Store.Key(ctx, id)
	if err != nil {
		return "", nil, err
	}
	if key.RevokedAt != nil {
		return "", nil, fmt.Errorf("key %s: %w", id, ErrRevoked)
	}
	secret := newSecret(secretLen)
	now := k.now().UTC()
	key.Hash, key.RotatedAt = Hash(secret), &now
	if err := k.Store.SaveKey(ctx, key); err != nil {
		return "", nil, err
	}
	k.forget(id)
	return kindPrefix[key.Kind] + id + "_" + secret, key, nil
}

// Revoke stops the key from working, at once on every node.
func (k *Keyring) Revoke(ctx context.Context, id string) (*store.Key, error) {
	key, err := k.Store.Key(ctx, id)
	if err != nil {
		return nil, err
	}
	if key.RevokedAt == nil {
		now := k.now().UTC()
		key.RevokedAt = &now
		if err := k.Store.SaveKey(ctx, key); err != nil {
			return nil, err
		}
	}
	k.forget(id)
	return key, nil
}

// Check returns the key a token names when it is valid and not revoked.
func (k *Keyring) Check(ctx context.Context, token string) (*store.Key, error) {
	kind, id, secret, err := ParseKey(token)
	if err != nil {
		return nil, err
	}
	key, err := k.Store.Key(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownKey
	}
	if err != nil {
		return nil, err
	}
	if key.Kind != kind {
		return nil, ErrUnknownKey
	}
	if key.RevokedAt != nil {
		return nil, ErrRevoked
	}
	sum := sha256.Sum256([]byte(secret))
	// The stored hash is part of the cache key: a rotation elsewhere changes it.
	ck := id + "\x00" + key.Hash + "\x00" + string(sum[:])
	now := k.now()
	k.mu.Lock()
	exp, ok := k.verified[ck]
	k.mu.Unlock()
	if ok && now.Before(exp) {
		return key, nil
	}
	good, err := Verify(secret, key.Hash)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", id, err)
	}
	if !good {
		return nil, ErrUnknownKey
	}
	ttl := k.TTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	k.mu.Lock()
	if k.verified == nil || len(k.verified) > 10000 {
		k.verified = map[string]time.Time{}
	}
	k.verified[ck] = now.Add(ttl)
	k.mu.Unlock()
	return key, nil
}

// forget drops the cached verifications of a key.
func (k *Keyring) forget(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for ck := range k.verified {
		if strings.HasPrefix(ck, id+"\x00") {
			delete(k.verified, ck)
		}
	}
}

// ValidTenant reports whether name can name a tenant: 1 to 64 letters, digits, '-', '_' or '.'.
func ValidTenant(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("auth: tenant name %q: want 1 to 64 characters", name)
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("auth: tenant name %q: only letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}
