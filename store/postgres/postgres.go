// Package postgres is the scale-out store.Store on PostgreSQL (pgx). Several Parley processes may
// share one database: sequence numbers and idempotency keys are kept per conversation under a row
// lock on the conversation.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parleyhq/parley/store"
)

// Postgres is a store.Store in a PostgreSQL database.
type Postgres struct {
	pool *pgxpool.Pool

	mu     sync.RWMutex // guards closed; held for reading by every call in flight
	closed bool
}

var _ store.Store = (*Postgres)(nil)

// Open connects to the database named by dsn (a postgres:// URL or key=value string, as libpq
// reads it), checks it answers and applies pending schema migrations.
func Open(ctx context.Context, dsn string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

// Close waits for calls in flight and closes the connections. Later calls return store.ErrClosed;
// closing twice is harmless.
func (p *Postgres) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		p.pool.Close()
	}
	return nil
}

func (p *Postgres) begin() error {
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

func (p *Postgres) end() { p.mu.RUnlock() }

// CreateConversation stores c. An empty ID gets a random one, an empty Status becomes open and
// zero times become now; those are set on c.
func (p *Postgres) CreateConversation(ctx context.Context, c *store.Conversation) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	if c.ID == "" {
		c.ID = newID()
	}
	if c.Status == "" {
		c.Status = store.StatusOpen
	}
	if c.Tenant == "" {
		c.Tenant = store.TenantOf(ctx)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	args, err := conversationArgs(c)
	if err != nil {
		return err
	}
	_, err = p.pool.Exec(ctx, `INSERT INTO conversations (id, pack, created_at, status, updated_at, resolved_at, state, csat, handoff, tenant)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, append(append([]any{c.ID}, args...), c.Tenant)...)
	if isUnique(err, "conversations_pkey") {
		return fmt.Errorf("conversation %q: %w", c.ID, store.ErrDuplicate)
	}
	if err == nil {
		c.Version = 1
	}
	return wrap(err, "create conversation")
}

// UpdateConversation replaces c's status, state, CSAT, handoff, UpdatedAt and ResolvedAt when the
// stored version is c.Version (any version when it is zero); the ID, pack and creation time never
// change. A zero UpdatedAt becomes now. On success c.Version is the new version.
func (p *Postgres) UpdateConversation(ctx context.Context, c *store.Conversation) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Now()
	}
	args, err := conversationArgs(c)
	if err != nil {
		return err
	}
	var version int64
	err = p.pool.QueryRow(ctx, `UPDATE conversations SET status = $1, updated_at = $2, resolved_at = $3,
		state = $4, csat = $5, handoff = $6, version = version + 1 WHERE id = $7 AND ($8::bigint = 0 OR version = $8)
		RETURNING version`, append(args[2:], c.ID, c.Version)...).Scan(&version) // the mutable columns
	if err == nil {
		c.Version = version
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return wrap(err, "update conversation")
	}
	var stored int64
	switch err := p.pool.QueryRow(ctx, `SELECT version FROM conversations WHERE id = $1`, c.ID).Scan(&stored); {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("conversation %q: %w", c.ID, store.ErrNotFound)
	case err != nil:
		return wrap(err, "update conversation")
	}
	return fmt.Errorf("conversation %q at version %d, saved over %d: %w", c.ID, stored, c.Version, store.ErrConflict)
}

// conversationArgs returns c's columns after the ID: pack and created_at, then the mutable ones
// (status, updated_at, resolved_at, state, csat, handoff).
func conversationArgs(c *store.Conversation) ([]any, error) {
	csat, err := jsonOrNil(c.CSAT != nil, c.CSAT)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode csat: %w", err)
	}
	handoff, err := jsonOrNil(c.Handoff != nil, c.Handoff)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode handoff: %w", err)
	}
	return []any{c.Pack, c.CreatedAt, c.Status, c.UpdatedAt, c.ResolvedAt, rawOrNil(c.State), csat, handoff}, nil
}

const conversationColumns = `id, pack, status, created_at, updated_at, resolved_at, state, csat, handoff, version, tenant`

func scanConversation(r pgx.Row) (*store.Conversation, error) {
	var (
		c                    store.Conversation
		resolved             *time.Time
		state, csat, handoff []byte
	)
	if err := r.Scan(&c.ID, &c.Pack, &c.Status, &c.CreatedAt, &c.UpdatedAt, &resolved, &state, &csat, &handoff, &c.Version, &c.Tenant); err != nil {
		return nil, err
	}
	c.ResolvedAt = resolved
	if err := c.DecodeColumns(state, csat, handoff); err != nil {
		return nil, err
	}
	return &c, nil
}

// Conversation returns the conversation with the given ID or store.ErrNotFound.
func (p *Postgres) Conversation(ctx context.Context, id string) (*store.Conversation, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	c, err := scanConversation(p.pool.QueryRow(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("conversation %q: %w", id, store.ErrNotFound)
	}
	return c, wrap(err, "get conversation")
}

// Conversations lists conversations newest first (by creation time). Filter.Since matches
// conversations created at or after it.
func (p *Postgres) Conversations(ctx context.Context, f store.Filter) ([]*store.Conversation, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	q := `SELECT ` + conversationColumns + ` FROM conversations WHERE TRUE`
	var args []any
	if f.Tenant != "" {
		args = append(args, f.Tenant)
		q += fmt.Sprintf(` AND tenant = $%d`, len(args))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		q += fmt.Sprintf(` AND status = $%d`, len(args))
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since)
		q += fmt.Sprintf(` AND created_at >= $%d`, len(args))
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := p.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "list conversations")
	}
	defer rows.Close()
	var out []*store.Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, wrap(err, "list conversations")
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err(), "list conversations")
}

const messageColumns = `id, conversation_id, seq, role, text, parts, idempotency_key, created_at, reply, observations`

func scanMessage(r pgx.Row) (*store.Message, error) {
	var (
		m                 store.Message
		parts, reply, obs []byte
		key               *string
	)
	if err := r.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.Role, &m.Text, &parts, &key, &m.CreatedAt, &reply, &obs); err != nil {
		return nil, err
	}
	if key != nil {
		m.IdempotencyKey = *key
	}
	if len(parts) > 0 {
		if err := json.Unmarshal(parts, &m.Parts); err != nil {
			return nil, fmt.Errorf("decode parts of message %q: %w", m.ID, err)
		}
	}
	if len(reply) > 0 {
		m.Reply = reply
	}
	if len(obs) > 0 {
		m.Observations = obs
	}
	return &m, nil
}

// AddMessage appends m to its conversation and assigns the next Seq (from 1). An empty ID gets a
// random one and a zero CreatedAt becomes now. When the conversation already holds a message with
// m's non-empty IdempotencyKey, AddMessage returns that message and store.ErrDuplicate.
func (p *Postgres) AddMessage(ctx context.Context, m *store.Message) (*store.Message, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	if m.ID == "" {
		m.ID = newID()
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	parts, err := jsonOrNil(len(m.Parts) > 0, m.Parts)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode parts: %w", err)
	}
	var key *string
	if m.IdempotencyKey != "" {
		key = &m.IdempotencyKey
	}
	var (
		seq      int
		existing *store.Message
	)
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		// The row lock serializes writers of one conversation: Seq and the key check stay exact.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM conversations WHERE id = $1 FOR NO KEY UPDATE`, m.ConversationID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("conversation %q: %w", m.ConversationID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if key != nil {
			old, err := scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages
				WHERE conversation_id = $1 AND idempotency_key = $2`, m.ConversationID, *key))
			if err == nil {
				existing = old
				return fmt.Errorf("message with idempotency key %q: %w", *key, store.ErrDuplicate)
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = $1`,
			m.ConversationID).Scan(&seq); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO messages (id, conversation_id, seq, role, text, parts, idempotency_key, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, m.ID, m.ConversationID, seq, m.Role, m.Text, parts, key, m.CreatedAt)
		if isUnique(err, "messages_pkey") {
			return fmt.Errorf("message %q: %w", m.ID, store.ErrDuplicate)
		}
		if err != nil {
			return err
		}
		return addBlobRefs(ctx, tx, m.ConversationID, m.ID, m.CreatedAt, store.BlobHashes(m.Parts, nil))
	})
	if existing != nil {
		return existing, err
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrDuplicate) {
			return nil, err
		}
		return nil, wrap(err, "add message")
	}
	m.Seq = seq
	return m, nil
}

// SetReply stores the reply and observations of a message; store.ErrNotFound when the conversation
// has no such message.
func (p *Postgres) SetReply(ctx context.Context, conversationID, messageID string, reply, observations json.RawMessage) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	hashes := store.BlobHashes(nil, reply)
	if len(hashes) == 0 {
		tag, err := p.pool.Exec(ctx, `UPDATE messages SET reply = $1, observations = $2 WHERE id = $3 AND conversation_id = $4`,
			rawOrNil(reply), rawOrNil(observations), messageID, conversationID)
		if err != nil {
			return wrap(err, "set reply")
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("message %q in conversation %q: %w", messageID, conversationID, store.ErrNotFound)
		}
		return nil
	}
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE messages SET reply = $1, observations = $2 WHERE id = $3 AND conversation_id = $4`,
			rawOrNil(reply), rawOrNil(observations), messageID, conversationID)
		if err != nil {
			return wrap(err, "set reply")
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("message %q in conversation %q: %w", messageID, conversationID, store.ErrNotFound)
		}
		return addBlobRefs(ctx, tx, conversationID, messageID, time.Now(), hashes)
	})
}

// Messages returns a conversation's messages in Seq order; store.ErrNotFound for an unknown
// conversation.
func (p *Postgres) Messages(ctx context.Context, conversationID string) ([]*store.Message, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	rows, err := p.pool.Query(ctx, `SELECT `+messageColumns+` FROM messages WHERE conversation_id = $1 ORDER BY seq`, conversationID)
	if err != nil {
		return nil, wrap(err, "list messages")
	}
	defer rows.Close()
	var out []*store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, wrap(err, "list messages")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "list messages")
	}
	if len(out) == 0 {
		var one int
		err := p.pool.QueryRow(ctx, `SELECT 1 FROM conversations WHERE id = $1`, conversationID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("conversation %q: %w", conversationID, store.ErrNotFound)
		}
		if err != nil {
			return nil, wrap(err, "list messages")
		}
	}
	return out, nil
}

func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

func isUnique(err error, constraint string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505" && e.ConstraintName == constraint
}

// rawOrNil passes JSON through as text for a jsonb column, or NULL when empty.
func rawOrNil(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func jsonOrNil(present bool, v any) (any, error) {
	if !present {
		return nil, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// newID returns a random 128-bit identifier in hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
