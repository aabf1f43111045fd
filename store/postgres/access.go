package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parleyhq/parley/store"
)

var (
	_ store.Access    = (*Postgres)(nil)
	_ store.Sessions  = (*Postgres)(nil)
	_ store.Auditor   = (*Postgres)(nil)
	_ store.Retention = (*Postgres)(nil)
)

// accessMigration adds the owning tenant of each conversation ("default" for those stored
// before), blob_refs (which message references which blob, so a blob is served only to a tenant
// whose conversation holds it and deleted once nothing does), API keys, staff users, their
// sessions and the audit trail.
const accessMigration = `ALTER TABLE conversations ADD COLUMN tenant text NOT NULL DEFAULT 'default';
	CREATE INDEX conversations_tenant ON conversations (tenant, created_at DESC, id DESC);
	CREATE TABLE blob_refs (
		hash            text NOT NULL,
		message_id      text NOT NULL,
		conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		created_at      timestamptz NOT NULL,
		expired         boolean NOT NULL DEFAULT false,
		PRIMARY KEY (hash, message_id)
	);
	CREATE INDEX blob_refs_conversation ON blob_refs (conversation_id);
	CREATE INDEX blob_refs_age ON blob_refs (expired, created_at);
	INSERT INTO blob_refs (hash, message_id, conversation_id, created_at)
		SELECT lower(j->>'hash'), m.id, m.conversation_id, m.created_at
		FROM messages m, jsonb_array_elements(m.parts) j
		WHERE jsonb_typeof(m.parts) = 'array' AND length(j->>'hash') = 64
		ON CONFLICT DO NOTHING;
	INSERT INTO blob_refs (hash, message_id, conversation_id, created_at)
		SELECT lower(substr(j->>'url', 11, 64)), m.id, m.conversation_id, m.created_at
		FROM messages m, jsonb_array_elements(m.reply->'parts') j
		WHERE jsonb_typeof(m.reply->'parts') = 'array' AND j->>'url' LIKE '/v1/blobs/%'
		ON CONFLICT DO NOTHING;
	CREATE TABLE api_keys (
		id         text PRIMARY KEY,
		tenant     text NOT NULL,
		kind       text NOT NULL,
		hash       text NOT NULL,
		created_at timestamptz NOT NULL,
		rotated_at timestamptz,
		revoked_at timestamptz
	);
	CREATE TABLE staff (
		id            text PRIMARY KEY,
		tenant        text NOT NULL,
		email         text NOT NULL UNIQUE,
		role          text NOT NULL,
		password_hash text NOT NULL,
		created_at    timestamptz NOT NULL
	);
	CREATE TABLE staff_sessions (
		token_hash text PRIMARY KEY,
		staff_id   text NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
		csrf       text NOT NULL,
		created_at timestamptz NOT NULL,
		expires_at timestamptz NOT NULL
	);
	CREATE TABLE audit (
		id              bigserial PRIMARY KEY,
		at              timestamptz NOT NULL,
		tenant          text NOT NULL,
		actor           text NOT NULL,
		action          text NOT NULL,
		conversation_id text NOT NULL DEFAULT '',
		detail          text NOT NULL DEFAULT ''
	);
	CREATE INDEX audit_tenant ON audit (tenant, id DESC);`

// addBlobRefs records that a message of the conversation references the blobs.
func addBlobRefs(ctx context.Context, tx pgx.Tx, conversation, message string, at time.Time, hashes []string) error {
	for _, h := range hashes {
		if _, err := tx.Exec(ctx, `INSERT INTO blob_refs (hash, message_id, conversation_id, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, strings.ToLower(h), message, conversation, at); err != nil {
			return wrap(err, "record blob reference")
		}
	}
	return nil
}

// AddBlobRef records that the conversation references hash under ref.
func (p *Postgres) AddBlobRef(ctx context.Context, conversationID, ref, hash string, at time.Time) error {
	if !store.ValidHash(hash) {
		return fmt.Errorf("%w: blob hash %q", store.ErrBadValue, hash)
	}
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	_, err := p.pool.Exec(ctx, `INSERT INTO blob_refs (hash, message_id, conversation_id, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, strings.ToLower(hash), ref, conversationID, at)
	return wrap(err, "record blob reference")
}

// SaveKey creates k or replaces the hash, rotation and revocation of the key with its ID.
func (p *Postgres) SaveKey(ctx context.Context, k *store.Key) error {
	if k.ID == "" || k.Tenant == "" || k.Hash == "" {
		return errors.New("postgres: save key: id, tenant and hash are required")
	}
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	_, err := p.pool.Exec(ctx, `INSERT INTO api_keys (id, tenant, kind, hash, created_at, rotated_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash,
		rotated_at = excluded.rotated_at, revoked_at = excluded.revoked_at`,
		k.ID, k.Tenant, k.Kind, k.Hash, k.CreatedAt, k.RotatedAt, k.RevokedAt)
	return wrap(err, "save key")
}

const keyColumns = `id, tenant, kind, hash, created_at, rotated_at, revoked_at`

func scanKey(r pgx.Row) (*store.Key, error) {
	var k store.Key
	if err := r.Scan(&k.ID, &k.Tenant, &k.Kind, &k.Hash, &k.CreatedAt, &k.RotatedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	return &k, nil
}

// Key returns the key with the given ID or store.ErrNotFound.
func (p *Postgres) Key(ctx context.Context, id string) (*store.Key, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	k, err := scanKey(p.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("key %q: %w", id, store.ErrNotFound)
	}
	return k, wrap(err, "get key")
}

// Keys lists the keys of tenant (all when empty), oldest first.
func (p *Postgres) Keys(ctx context.Context, tenant string) ([]*store.Key, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	rows, err := p.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE $1 = '' OR tenant = $1 ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, wrap(err, "list keys")
	}
	defer rows.Close()
	out := []*store.Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, wrap(err, "list keys")
		}
		out = append(out, k)
	}
	return out, wrap(rows.Err(), "list keys")
}

// SaveStaff stores u, or replaces the role and password of the user with its email.
func (p *Postgres) SaveStaff(ctx context.Context, u *store.StaffUser) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	if u.ID == "" {
		u.ID = newID()
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	var id, tenant string
	err := p.pool.QueryRow(ctx, `INSERT INTO staff (id, tenant, email, role, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (email) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash
			WHERE staff.tenant = excluded.tenant
		RETURNING id, tenant`, u.ID, u.Tenant, u.Email, u.Role, u.PasswordHash, u.CreatedAt).Scan(&id, &tenant)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("staff %q belongs to another tenant: %w", u.Email, store.ErrDuplicate)
	}
	if isUnique(err, "staff_pkey") {
		return fmt.Errorf("staff %q: %w", u.ID, store.ErrDuplicate)
	}
	if err != nil {
		return wrap(err, "save staff")
	}
	u.ID = id
	return nil
}

// Staff returns the staff user with the email, or with the ID when email is empty.
func (p *Postgres) Staff(ctx context.Context, id, email string) (*store.StaffUser, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	col, v := "id", id
	if email != "" {
		col, v = "email", email
	}
	var u store.StaffUser
	err := p.pool.QueryRow(ctx, `SELECT id, tenant, email, role, password_hash, created_at FROM staff WHERE `+col+` = $1`, v).
		Scan(&u.ID, &u.Tenant, &u.Email, &u.Role, &u.PasswordHash, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("staff %q: %w", v, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(err, "get staff")
	}
	return &u, nil
}

// Credentials reports whether any API key or staff user exists.
func (p *Postgres) Credentials(ctx context.Context) (bool, error) {
	if err := p.begin(); err != nil {
		return false, err
	}
	defer p.end()
	var exists bool
	err := p.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys) OR EXISTS (SELECT 1 FROM staff)`).Scan(&exists)
	return exists, wrap(err, "credentials")
}

// CreateSession stores a sign-in session.
func (p *Postgres) CreateSession(ctx context.Context, s *store.Session) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now()
	}
	_, err := p.pool.Exec(ctx, `INSERT INTO staff_sessions (token_hash, staff_id, csrf, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, s.TokenHash, s.StaffID, s.CSRF, s.CreatedAt, s.ExpiresAt)
	var e *pgconn.PgError
	switch {
	case isUnique(err, "staff_sessions_pkey"):
		return fmt.Errorf("session: %w", store.ErrDuplicate)
	case errors.As(err, &e) && e.Code == "23503":
		return fmt.Errorf("staff %q: %w", s.StaffID, store.ErrNotFound)
	}
	return wrap(err, "create session")
}

// Session returns the unexpired session with the token hash, or store.ErrNotFound.
func (p *Postgres) Session(ctx context.Context, tokenHash string) (*store.Session, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	s := store.Session{TokenHash: tokenHash}
	err := p.pool.QueryRow(ctx, `SELECT staff_id, csrf, created_at, expires_at FROM staff_sessions
		WHERE token_hash = $1 AND expires_at > now()`, tokenHash).Scan(&s.StaffID, &s.CSRF, &s.CreatedAt, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(err, "get session")
	}
	return &s, nil
}

// DeleteSession ends a session (and any that expired); no error when it is gone already.
func (p *Postgres) DeleteSession(ctx context.Context, tokenHash string) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	_, err := p.pool.Exec(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1 OR expires_at <= now()`, tokenHash)
	return wrap(err, "delete session")
}

// AddAudit appends an entry to the audit trail and sets its ID.
func (p *Postgres) AddAudit(ctx context.Context, e *store.AuditEntry) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	if e.At.IsZero() {
		e.At = time.Now()
	}
	return wrap(p.pool.QueryRow(ctx, `INSERT INTO audit (at, tenant, actor, action, conversation_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, e.At, e.Tenant, e.Actor, e.Action, e.ConversationID, e.Detail).Scan(&e.ID), "add audit")
}

// Audit lists audit entries newest first (100 when f.Limit is zero).
func (p *Postgres) Audit(ctx context.Context, f store.AuditFilter) ([]*store.AuditEntry, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := p.pool.Query(ctx, `SELECT id, at, tenant, actor, action, conversation_id, detail FROM audit
		WHERE ($1 = '' OR tenant = $1) AND ($2 = '' OR conversation_id = $2) ORDER BY id DESC LIMIT $3`,
		f.Tenant, f.ConversationID, limit)
	if err != nil {
		return nil, wrap(err, "list audit")
	}
	defer rows.Close()
	out := []*store.AuditEntry{}
	for rows.Next() {
		var e store.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Tenant, &e.Actor, &e.Action, &e.ConversationID, &e.Detail); err != nil {
			return nil, wrap(err, "list audit")
		}
		out = append(out, &e)
	}
	return out, wrap(rows.Err(), "list audit")
}

// BlobReferenced reports whether an unexpired message of tenant's conversations references hash.
func (p *Postgres) BlobReferenced(ctx context.Context, tenant, hash string) (bool, error) {
	if err := p.begin(); err != nil {
		return false, err
	}
	defer p.end()
	var ok bool
	err := p.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blob_refs r JOIN conversations c ON c.id = r.conversation_id
		WHERE r.hash = $1 AND NOT r.expired AND c.tenant = $2)`, strings.ToLower(hash), tenant).Scan(&ok)
	return ok, wrap(err, "blob referenced")
}

// unreferenced keeps the hashes no unexpired message references.
func unreferenced(ctx context.Context, tx pgx.Tx, hashes []string) ([]string, error) {
	out := []string{}
	if len(hashes) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT h FROM unnest($1::text[]) h
		WHERE NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.hash = h AND NOT r.expired)`, hashes)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	return append(out, got...), nil
}

// EraseConversation deletes the conversation, its messages, stage results, edge counters and cloud
// usage, and returns the blobs nothing references any more.
func (p *Postgres) EraseConversation(ctx context.Context, id string) ([]string, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	var orphans []string
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT hash FROM blob_refs WHERE conversation_id = $1`, id)
		if err != nil {
			return err
		}
		hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM conversations WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("conversation %q: %w", id, store.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cloud_usage WHERE conversation_id = $1`, id); err != nil {
			return err
		}
		orphans, err = unreferenced(ctx, tx, hashes)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, wrap(err, "erase conversation")
	}
	return orphans, err
}

// ExpireMedia marks the blob references of tenant's messages created before the cutoff expired and
// returns the blobs no unexpired reference holds any more.
func (p *Postgres) ExpireMedia(ctx context.Context, tenant string, before time.Time) ([]string, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	var out []string
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE blob_refs SET expired = true
			WHERE NOT expired AND created_at < $1 AND conversation_id IN (SELECT id FROM conversations WHERE tenant = $2)
			RETURNING hash`, before, tenant)
		if err != nil {
			return err
		}
		hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		uniq := hashes[:0]
		for _, h := range hashes {
			if !seen[h] {
				seen[h] = true
				uniq = append(uniq, h)
			}
		}
		out, err = unreferenced(ctx, tx, uniq)
		return err
	})
	return out, wrap(err, "expire media")
}
