// Package auth holds Parley's credentials: API keys (a public id and a secret, the secret stored
// only as an argon2id hash), staff passwords, sign-in session tokens and the CSRF tokens that
// guard a session's state-changing calls.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum (19 MiB, two passes, one lane). A key is verified once and
// then cached, so the cost is paid per key and node, not per request.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// ErrBadHash is returned for a stored hash that is not an argon2id string this package wrote.
var ErrBadHash = errors.New("auth: malformed password hash")

// Hash returns the argon2id hash of secret as a self-describing string
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
func Hash(secret string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	sum := argon2.IDKey([]byte(secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(sum))
}

// Verify reports whether secret matches a hash from Hash, in constant time for the comparison.
func Verify(secret, hash string) (bool, error) {
	p, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	sum := argon2.IDKey([]byte(secret), p.salt, p.time, p.memory, p.threads, uint32(len(p.sum)))
	return subtle.ConstantTimeCompare(sum, p.sum) == 1, nil
}

type argonParams struct {
	time, memory uint32
	threads      uint8
	salt, sum    []byte
}

// parseHash reads an argon2id string, refusing parameters that would make verifying it a
// denial of service.
func parseHash(h string) (argonParams, error) {
	var p argonParams
	f := strings.Split(h, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" || f[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, ErrBadHash
	}
	for _, kv := range strings.Split(f[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, ErrBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, ErrBadHash
		}
		switch k {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return p, ErrBadHash
			}
			p.threads = uint8(n)
		default:
			return p, ErrBadHash
		}
	}
	if p.time < 1 || p.time > 6 || p.memory < 8 || p.memory > 64*1024 || p.threads < 1 || p.threads > 16 {
		return p, ErrBadHash
	}
	enc := base64.RawStdEncoding
	var err error
	if p.salt, err = enc.DecodeString(f[4]); err != nil || len(p.salt) < 8 {
		return p, ErrBadHash
	}
	if p.sum, err = enc.DecodeString(f[5]); err != nil || len(p.sum) < 16 || len(p.sum) > 64 {
		return p, ErrBadHash
	}
	return p, nil
}

// Token returns n random bytes in URL-safe base64 without padding.
func Token(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenHash is how a high-entropy token (a session's) is stored: its SHA-256 in hex. A slow hash
// adds nothing for 256 random bits.
func TokenHash(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// Equal compares two tokens in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
