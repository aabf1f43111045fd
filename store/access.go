package store

import (
	"context"
	"errors"
	"regexp"
	"time"
)

// DefaultTenant owns every conversation created without a tenant, and every conversation stored
// before tenants existed.
const DefaultTenant = "default"

type tenantKey struct{}

// WithTenant returns ctx carrying the tenant that conversations created under it belong to.
func WithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

// TenantOf is the tenant ctx carries, DefaultTenant when none.
func TenantOf(ctx context.Context) string {
	if t, ok := ctx.Value(tenantKey{}).(string); ok && t != "" {
		return t
	}
	return DefaultTenant
}

// Key kinds.
const (
	// KeyPublishable keys may only start and talk in conversations (the customer API).
	KeyPublishable = "publishable"
	// KeySecret keys may call every API of their tenant, staff APIs included.
	KeySecret = "secret"
)

// Key is a tenant's API key as stored: the secret part only as a hash.
type Key struct {
	ID        string     `json:"id"`
	Tenant    string     `json:"tenant"`
	Kind      string     `json:"kind"`
	Hash      string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	RotatedAt *time.Time `json:"rotated_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Staff roles.
const (
	RoleStaffAgent = "agent" // answers handed-off conversations; sees numbers masked
	RoleStaffAdmin = "admin" // everything, the audit trail included
)

// StaffUser is a person who signs in to the agent console and dashboard.
type StaffUser struct {
	ID           string    `json:"id"`
	Tenant       string    `json:"tenant"`
	Email        string    `json:"email"`
	Role         string    `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// Session is a signed-in staff user's session, named by the hash of its cookie's token.
type Session struct {
	TokenHash string
	StaffID   string
	// CSRF is the token state-changing calls of the session must echo in a header.
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuditEntry records one staff action: who did what to which conversation.
type AuditEntry struct {
	ID             int64     `json:"id"`
	At             time.Time `json:"at"`
	Tenant         string    `json:"tenant"`
	Actor          string    `json:"actor"`
	Action         string    `json:"action"`
	ConversationID string    `json:"conversation_id,omitempty"`
	Detail         string    `json:"detail,omitempty"`
}

// AuditFilter selects audit entries, newest first; zero values match everything but Tenant,
// which an empty string leaves unrestricted only for tools.
type AuditFilter struct {
	Tenant         string
	ConversationID string
	Limit          int
}

// Access keeps API keys, staff users and their sessions. Every backend implements it beside
// store.Store; store/storetest's RunAccess is its conformance suite.
type Access interface {
	// SaveKey creates k, or replaces the hash and times of the key with k's ID.
	SaveKey(ctx context.Context, k *Key) error
	// Key returns the key with the given ID (revoked ones too) or ErrNotFound.
	Key(ctx context.Context, id string) (*Key, error)
	// Keys lists the keys of tenant (every tenant when empty), oldest first.
	Keys(ctx context.Context, tenant string) ([]*Key, error)
	// SaveStaff stores a staff user, or replaces the role and password of the user with u's
	// email; the tenant of an existing user never changes (ErrDuplicate when u names another).
	SaveStaff(ctx context.Context, u *StaffUser) error
	// Staff returns the user with the given email, or with the given ID when email is empty;
	// ErrNotFound when none.
	Staff(ctx context.Context, id, email string) (*StaffUser, error)
	// Credentials reports whether any key or staff user exists: a store without any serves its
	// API openly.
	Credentials(ctx context.Context) (bool, error)
}

// Sessions keeps staff sign-in sessions, shared by every node on the store.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the unexpired session with the token hash, or ErrNotFound.
	Session(ctx context.Context, tokenHash string) (*Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// Auditor keeps the audit trail.
type Auditor interface {
	AddAudit(ctx context.Context, e *AuditEntry) error
	Audit(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
}

// Retention removes customers' data: whole conversations on request, and media past a tenant's
// retention period.
type Retention interface {
	// BlobReferenced reports whether a conversation of tenant references the blob (by a message
	// part or a reply).
	BlobReferenced(ctx context.Context, tenant, hash string) (bool, error)
	// AddBlobRef records that the conversation references a blob outside its messages (a camera
	// thumbnail a device sent), under ref in place of a message id, so the blob is served to the
	// conversation's tenant and goes with the conversation's erase and retention.
	AddBlobRef(ctx context.Context, conversationID, ref, hash string, at time.Time) error
	// EraseConversation deletes the conversation with everything stored for it and returns the
	// hashes of the blobs it referenced that no other message references any more; ErrNotFound
	// when there is no such conversation.
	EraseConversation(ctx context.Context, id string) (orphans []string, err error)
	// ExpireMedia marks the media of tenant's messages created before the cutoff as expired and
	// returns the hashes of the blobs no unexpired message references any more.
	ExpireMedia(ctx context.Context, tenant string, before time.Time) ([]string, error)
}

// blobURL finds the blobs a reply links to.
var blobURL = regexp.MustCompile(`/v1/blobs/([0-9a-fA-F]{64})`)

// BlobHashes returns the hashes of the blobs a message references: its parts and every blob its
// reply links to, each once.
func BlobHashes(parts []BlobRef, reply []byte) []string {
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if ValidHash(h) && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, p := range parts {
		add(p.Hash)
	}
	for _, m := range blobURL.FindAllSubmatch(reply, -1) {
		add(string(m[1]))
	}
	return out
}

// Erase deletes a conversation with everything stored for it, and the blobs it referenced that no
// other conversation references; it returns how many blobs it deleted.
func Erase(ctx context.Context, r Retention, blobs Blobs, id string) (int, error) {
	orphans, err := r.EraseConversation(ctx, id)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, h := range orphans {
		switch err := blobs.Delete(ctx, h); {
		case err == nil:
			n++
		case !errors.Is(err, ErrNotFound):
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}
