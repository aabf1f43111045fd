package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleyhq/parley/store"
)

var (
	_ store.Access    = (*SQLite)(nil)
	_ store.Sessions  = (*SQLite)(nil)
	_ store.Auditor   = (*SQLite)(nil)
	_ store.Retention = (*SQLite)(nil)
)

// accessMigration adds the owning tenant of each conversation ("default" for those stored
// before), blob_refs (which message references which blob, so a blob is served only to a tenant
// whose conversation holds it and deleted once nothing does), API keys, staff users, their
// sessions and the audit trail.
const accessMigration = `ALTER TABLE conversations ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
	CREATE INDEX conversations_tenant ON conversations (tenant, created_at DESC, id DESC);
	CREATE TABLE blob_refs (
		hash            TEXT NOT NULL,
		message_id      TEXT NOT NULL,
		conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		created_at      INTEGER NOT NULL,
		expired         INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (hash, message_id)
	) WITHOUT ROWID;
	CREATE INDEX blob_refs_conversation ON blob_refs (conversation_id);
	CREATE INDEX blob_refs_age ON blob_refs (expired, created_at);
	INSERT OR IGNORE INTO blob_refs (hash, message_id, conversation_id, created_at)
		SELECT lower(json_extract(j.value, '$.hash')), m.id, m.conversation_id, m.created_at
		FROM messages m, json_each(CAST(m.parts AS TEXT)) j
		WHERE m.parts IS NOT NULL AND length(json_extract(j.value, '$.hash')) = 64;
	INSERT OR IGNORE INTO blob_refs (hash, message_id, conversation_id, created_at)
		SELECT lower(substr(json_extract(j.value, '$.url'), 11, 64)), m.id, m.conversation_id, m.created_at
		FROM messages m, json_each(CAST(m.reply AS TEXT), '$.parts') j
		WHERE m.reply IS NOT NULL AND json_extract(j.value, '$.url') LIKE '/v1/blobs/%';
	CREATE TABLE api_keys (
		id         TEXT PRIMARY KEY,
		tenant     TEXT NOT NULL,
		kind       TEXT NOT NULL,
		hash       TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		rotated_at INTEGER,
		revoked_at INTEGER
	);
	CREATE TABLE staff (
		id            TEXT PRIMARY KEY,
		tenant        TEXT NOT NULL,
		email         TEXT NOT NULL UNIQUE,
		role          TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		created_at    INTEGER NOT NULL
	);
	CREATE TABLE staff_sessions (
		token_hash TEXT PRIMARY KEY,
		staff_id   TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
		csrf       TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	);
	CREATE TABLE audit (
		id              INTEGER PRIMARY KEY AUTOINCREMENT,
		at              INTEGER NOT NULL,
		tenant          TEXT NOT NULL,
		actor           TEXT NOT NULL,
		action          TEXT NOT NULL,
		conversation_id TEXT NOT NULL DEFAULT '',
		detail          TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX audit_tenant ON audit (tenant, id DESC);`

// addBlobRefs records that message m of conversation references the blobs; inside a write.
func (w *writer) addBlobRefs(conversation, message string, at time.Time, hashes []string) error {
	for _, h := range hashes {
		if _, err := w.conn.ExecContext(context.Background(), `INSERT OR IGNORE INTO blob_refs
			(hash, message_id, conversation_id, created_at) VALUES (?, ?, ?, ?)`,
			strings.ToLower(h), message, conversation, at.UnixNano()); err != nil {
			return wrap(err, "record blob reference")
		}
	}
	return nil
}

func nanosOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func timeOrNil(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// SaveKey creates k or replaces the hash, rotation and revocation of the key with its ID.
func (s *SQLite) SaveKey(ctx context.Context, k *store.Key) error {
	if k.ID == "" || k.Tenant == "" || k.Hash == "" {
		return errors.New("sqlite: save key: id, tenant and hash are required")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	return s.write(ctx, func(w *writer) error {
		_, err := w.conn.ExecContext(context.Background(), `INSERT INTO api_keys (id, tenant, kind, hash, created_at, rotated_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash,
			rotated_at = excluded.rotated_at, revoked_at = excluded.revoked_at`,
			k.ID, k.Tenant, k.Kind, k.Hash, k.CreatedAt.UnixNano(), nanosOrNil(k.RotatedAt), nanosOrNil(k.RevokedAt))
		return wrap(err, "save key")
	})
}

const keyColumns = `id, tenant, kind, hash, created_at, rotated_at, revoked_at`

func scanKey(r scanner) (*store.Key, error) {
	var (
		k                store.Key
		created          int64
		rotated, revoked sql.NullInt64
	)
	if err := r.Scan(&k.ID, &k.Tenant, &k.Kind, &k.Hash, &created, &rotated, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt, k.RotatedAt, k.RevokedAt = fromNanos(created), timeOrNil(rotated), timeOrNil(revoked)
	return &k, nil
}

// Key returns the key with the given ID or store.ErrNotFound.
func (s *SQLite) Key(ctx context.Context, id string) (*store.Key, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	k, err := scanKey(s.read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("key %q: %w", id, store.ErrNotFound)
	}
	return k, wrap(err, "get key")
}

// Keys lists the keys of tenant (all when empty), oldest first.
func (s *SQLite) Keys(ctx context.Context, tenant string) ([]*store.Key, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	rows, err := s.read.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE ? = '' OR tenant = ?
		ORDER BY created_at, id`, tenant, tenant)
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
func (s *SQLite) SaveStaff(ctx context.Context, u *store.StaffUser) error {
	if u.ID == "" {
		u.ID = newID()
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	return s.write(ctx, func(w *writer) error {
		var id, tenant string
		err := w.conn.QueryRowContext(context.Background(), `SELECT id, tenant FROM staff WHERE email = ?`, u.Email).Scan(&id, &tenant)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = w.conn.ExecContext(context.Background(), `INSERT INTO staff (id, tenant, email, role, password_hash, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, u.ID, u.Tenant, u.Email, u.Role, u.PasswordHash, u.CreatedAt.UnixNano())
			if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
				return fmt.Errorf("staff %q: %w", u.ID, store.ErrDuplicate)
			}
			return wrap(err, "add staff")
		case err != nil:
			return wrap(err, "add staff")
		case tenant != u.Tenant:
			return fmt.Errorf("staff %q belongs to tenant %q: %w", u.Email, tenant, store.ErrDuplicate)
		}
		u.ID = id
		_, err = w.conn.ExecContext(context.Background(), `UPDATE staff SET role = ?, password_hash = ? WHERE id = ?`,
			u.Role, u.PasswordHash, id)
		return wrap(err, "update staff")
	})
}

// Staff returns the staff user with the email, or with the ID when email is empty.
func (s *SQLite) Staff(ctx context.Context, id, email string) (*store.StaffUser, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	col, v := "id", id
	if email != "" {
		col, v = "email", email
	}
	var (
		u       store.StaffUser
		created int64
	)
	err := s.read.QueryRowContext(ctx, `SELECT id, tenant, email, role, password_hash, created_at FROM staff WHERE `+col+` = ?`, v).
		Scan(&u.ID, &u.Tenant, &u.Email, &u.Role, &u.PasswordHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("staff %q: %w", v, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(err, "get staff")
	}
	u.CreatedAt = fromNanos(created)
	return &u, nil
}

// Credentials reports whether any API key or staff user exists.
func (s *SQLite) Credentials(ctx context.Context) (bool, error) {
	if err := s.begin(); err != nil {
		return false, err
	}
	defer s.end()
	var exists bool
	err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys) OR EXISTS (SELECT 1 FROM staff)`).Scan(&exists)
	return exists, wrap(err, "credentials")
}

// CreateSession stores a sign-in session.
func (s *SQLite) CreateSession(ctx context.Context, ss *store.Session) error {
	if ss.CreatedAt.IsZero() {
		ss.CreatedAt = time.Now()
	}
	return s.write(ctx, func(w *writer) error {
		_, err := w.conn.ExecContext(context.Background(), `INSERT INTO staff_sessions (token_hash, staff_id, csrf, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, ss.TokenHash, ss.StaffID, ss.CSRF, ss.CreatedAt.UnixNano(), ss.ExpiresAt.UnixNano())
		switch {
		case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY):
			return fmt.Errorf("session: %w", store.ErrDuplicate)
		case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY):
			return fmt.Errorf("staff %q: %w", ss.StaffID, store.ErrNotFound)
		}
		return wrap(err, "create session")
	})
}

// Session returns the unexpired session with the token hash, or store.ErrNotFound.
func (s *SQLite) Session(ctx context.Context, tokenHash string) (*store.Session, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	ss := store.Session{TokenHash: tokenHash}
	var created, expires int64
	err := s.read.QueryRowContext(ctx, `SELECT staff_id, csrf, created_at, expires_at FROM staff_sessions
		WHERE token_hash = ? AND expires_at > ?`, tokenHash, time.Now().UnixNano()).Scan(&ss.StaffID, &ss.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(err, "get session")
	}
	ss.CreatedAt, ss.ExpiresAt = fromNanos(created), fromNanos(expires)
	return &ss, nil
}

// DeleteSession ends a session (and any that expired); no error when it is gone already.
func (s *SQLite) DeleteSession(ctx context.Context, tokenHash string) error {
	return s.write(ctx, func(w *writer) error {
		_, err := w.conn.ExecContext(context.Background(), `DELETE FROM staff_sessions WHERE token_hash = ? OR expires_at <= ?`,
			tokenHash, time.Now().UnixNano())
		return wrap(err, "delete session")
	})
}

// AddAudit appends an entry to the audit trail and sets its ID.
func (s *SQLite) AddAudit(ctx context.Context, e *store.AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	return s.write(ctx, func(w *writer) error {
		return wrap(w.conn.QueryRowContext(context.Background(), `INSERT INTO audit (at, tenant, actor, action, conversation_id, detail)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, e.At.UnixNano(), e.Tenant, e.Actor, e.Action, e.ConversationID, e.Detail).Scan(&e.ID), "add audit")
	})
}

// Audit lists audit entries newest first (100 when f.Limit is zero).
func (s *SQLite) Audit(ctx context.Context, f store.AuditFilter) ([]*store.AuditEntry, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, at, tenant, actor, action, conversation_id, detail FROM audit
		WHERE (? = '' OR tenant = ?) AND (? = '' OR conversation_id = ?) ORDER BY id DESC LIMIT ?`,
		f.Tenant, f.Tenant, f.ConversationID, f.ConversationID, limit)
	if err != nil {
		return nil, wrap(err, "list audit")
	}
	defer rows.Close()
	out := []*store.AuditEntry{}
	for rows.Next() {
		var (
			e  store.AuditEntry
			at int64
		)
		if err := rows.Scan(&e.ID, &at, &e.Tenant, &e.Actor, &e.Action, &e.ConversationID, &e.Detail); err != nil {
			return nil, wrap(err, "list audit")
		}
		e.At = fromNanos(at)
		out = append(out, &e)
	}
	return out, wrap(rows.Err(), "list audit")
}

// AddBlobRef records that the conversation references hash under ref.
func (s *SQLite) AddBlobRef(ctx context.Context, conversationID, ref, hash string, at time.Time) error {
	if !store.ValidHash(hash) {
		return fmt.Errorf("%w: blob hash %q", store.ErrBadValue, hash)
	}
	return s.write(ctx, func(w *writer) error {
		return w.addBlobRefs(conversationID, ref, at, []string{hash})
	})
}

// BlobReferenced reports whether an unexpired message of tenant's conversations references hash.
func (s *SQLite) BlobReferenced(ctx context.Context, tenant, hash string) (bool, error) {
	if err := s.begin(); err != nil {
		return false, err
	}
	defer s.end()
	var ok bool
	err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM blob_refs r JOIN conversations c ON c.id = r.conversation_id
		WHERE r.hash = ? AND r.expired = 0 AND c.tenant = ?)`, strings.ToLower(hash), tenant).Scan(&ok)
	return ok, wrap(err, "blob referenced")
}

// unreferenced keeps the hashes no unexpired message references; inside a write.
func (w *writer) unreferenced(hashes []string) ([]string, error) {
	out := []string{}
	for _, h := range hashes {
		var used bool
		if err := w.conn.QueryRowContext(context.Background(), `SELECT EXISTS (SELECT 1 FROM blob_refs WHERE hash = ? AND expired = 0)`,
			h).Scan(&used); err != nil {
			return nil, wrap(err, "blob references")
		}
		if !used {
			out = append(out, h)
		}
	}
	return out, nil
}

func queryHashes(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out, rows.Err()
}

// EraseConversation deletes the conversation, its messages, stage results, edge counters and cloud
// usage, and returns the blobs nothing references any more.
func (s *SQLite) EraseConversation(ctx context.Context, id string) ([]string, error) {
	var orphans []string
	err := s.write(ctx, func(w *writer) error {
		bg := context.Background()
		hashes, err := queryHashes(w.conn.QueryContext(bg, `SELECT hash FROM blob_refs WHERE conversation_id = ?`, id))
		if err != nil {
			return wrap(err, "erase conversation")
		}
		res, err := w.conn.ExecContext(bg, `DELETE FROM conversations WHERE id = ?`, id)
		if err != nil {
			return wrap(err, "erase conversation")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("conversation %q: %w", id, store.ErrNotFound)
		}
		if _, err := w.conn.ExecContext(bg, `DELETE FROM cloud_usage WHERE conversation_id = ?`, id); err != nil {
			return wrap(err, "erase cloud usage")
		}
		orphans, err = w.unreferenced(hashes)
		return err
	})
	return orphans, err
}

// ExpireMedia marks the blob references of tenant's messages created before the cutoff expired and
// returns the blobs no unexpired reference holds any more.
func (s *SQLite) ExpireMedia(ctx context.Context, tenant string, before time.Time) ([]string, error) {
	var out []string
	err := s.write(ctx, func(w *writer) error {
		hashes, err := queryHashes(w.conn.QueryContext(context.Background(), `UPDATE blob_refs SET expired = 1
			WHERE expired = 0 AND created_at < ? AND conversation_id IN (SELECT id FROM conversations WHERE tenant = ?)
			RETURNING hash`, before.UnixNano(), tenant))
		if err != nil {
			return wrap(err, "expire media")
		}
		out, err = w.unreferenced(hashes)
		return err
	})
	return out, err
}
