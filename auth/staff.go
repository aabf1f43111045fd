package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/store"
)

// ErrSignIn is returned for a wrong email or password, without saying which.
var ErrSignIn = errors.New("auth: wrong email or password")

// ErrNoSession is returned for a missing, malformed, unknown or expired session token.
var ErrNoSession = errors.New("auth: not signed in")

// Cookie names: the session (HttpOnly) and its CSRF token, which the staff pages read and send
// back in the X-CSRF-Token header of every state-changing call.
const (
	SessionCookie = "parley_session"
	CSRFCookie    = "parley_csrf"
	CSRFHeader    = "X-CSRF-Token"
	// KeyCookie carries a publishable key for the customer web chat, whose requests (event
	// streams, images) cannot all send an Authorization header.
	KeyCookie = "parley_key"
)

// sessionTokenBytes is the entropy of session and CSRF tokens (43 base64 characters).
const sessionTokenBytes = 32

// StaffStore is what staff sign-in needs of a store.
type StaffStore interface {
	store.Access
	store.Sessions
}

// Staff signs staff users in and out and resolves their sessions.
type Staff struct {
	Store StaffStore
	// TTL is how long a session lasts (default 12 hours).
	TTL time.Duration
	Now func() time.Time
}

func (s *Staff) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// dummyHash is verified for an unknown email, so a wrong email costs as long as a wrong password.
var dummyHash = sync.OnceValue(func() string { return Hash("parley: no such user") })

// NormalizeEmail checks an email address and returns it in lower case.
func NormalizeEmail(email string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || a.Name != "" || len(a.Address) > 254 {
		return "", fmt.Errorf("auth: %q is not an email address", email)
	}
	return strings.ToLower(a.Address), nil
}

// Add creates a staff user of tenant with role agent or admin, or sets the role and password of
// the user with that email.
func (s *Staff) Add(ctx context.Context, tenant, email, role, password string) (*store.StaffUser, error) {
	if err := ValidTenant(tenant); err != nil {
		return nil, err
	}
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if role != store.RoleStaffAgent && role != store.RoleStaffAdmin {
		return nil, fmt.Errorf("auth: role %q: want agent or admin", role)
	}
	if len(password) < 8 {
		return nil, errors.New("auth: the password needs at least 8 characters")
	}
	u := &store.StaffUser{Tenant: tenant, Email: email, Role: role, PasswordHash: Hash(password), CreatedAt: s.now().UTC()}
	if err := s.Store.SaveStaff(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// SignIn checks the password and starts a session; it returns the session token for the cookie.
func (s *Staff) SignIn(ctx context.Context, email, password string) (string, *store.Session, *store.StaffUser, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		Verify(password, dummyHash())
		return "", nil, nil, ErrSignIn
	}
	u, err := s.Store.Staff(ctx, "", email)
	if errors.Is(err, store.ErrNotFound) {
		Verify(password, dummyHash())
		return "", nil, nil, ErrSignIn
	}
	if err != nil {
		return "", nil, nil, err
	}
	ok, err := Verify(password, u.PasswordHash)
	if err != nil {
		return "", nil, nil, err
	}
	if !ok {
		return "", nil, nil, ErrSignIn
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	token := Token(sessionTokenBytes)
	now := s.now().UTC()
	ss := &store.Session{TokenHash: TokenHash(token), StaffID: u.ID, CSRF: Token(sessionTokenBytes), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.Store.CreateSession(ctx, ss); err != nil {
		return "", nil, nil, err
	}
	return token, ss, u, nil
}

// Session resolves a session cookie's value to its session and user.
func (s *Staff) Session(ctx context.Context, cookie string) (*store.Session, *store.StaffUser, error) {
	token, err := ParseSessionToken(cookie)
	if err != nil {
		return nil, nil, err
	}
	ss, err := s.Store.Session(ctx, TokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	if !s.now().Before(ss.ExpiresAt) {
		return nil, nil, ErrNoSession
	}
	u, err := s.Store.Staff(ctx, ss.StaffID, "")
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	return ss, u, nil
}

// SignOut ends the session of a cookie's value.
func (s *Staff) SignOut(ctx context.Context, cookie string) error {
	token, err := ParseSessionToken(cookie)
	if err != nil {
		return nil
	}
	return s.Store.DeleteSession(ctx, TokenHash(token))
}

// ParseSessionToken checks a session cookie's value: 43 characters of URL-safe base64.
func ParseSessionToken(v string) (string, error) {
	if len(v) != 43 {
		return "", ErrNoSession
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return "", ErrNoSession
		}
	}
	return v, nil
}

// CheckCSRF reports whether the token a request sent matches its session's.
func CheckCSRF(ss *store.Session, sent string) bool {
	return ss != nil && sent != "" && Equal(ss.CSRF, sent)
}
