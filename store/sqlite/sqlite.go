// Package sqlite is the embedded store.Store: one SQLite file in WAL mode through the pure-Go
// modernc.org/sqlite driver. Writes are durable (synchronous=FULL) and group-committed: one writer
// goroutine runs the writes of many concurrent callers in one transaction and answers each caller
// only after that transaction is on disk.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleyhq/parley/store"
)

// SQLite is a store.Store kept in one SQLite database file.
type SQLite struct {
	read *sql.DB // read-only pool; WAL lets readers run beside the writer
	// Hot reads, prepared once (database/sql prepares them on each pooled connection as needed).
	getConv, getMsgs, convExists *sql.Stmt
	wdb                          *sql.DB // one connection, owned by the writer goroutine

	mu      sync.RWMutex // guards closed; held for reading by every call in flight
	closed  bool
	ops     chan *op
	stopped chan struct{}
}

var _ store.Store = (*SQLite)(nil)

// busyTimeout is how long a connection waits for a lock held by another process before failing.
const busyTimeout = 10 * time.Second

// Open opens (creating if needed) the database at path, applies pending schema migrations and starts
// the writer. Close it to stop the writer and release the file.
func Open(ctx context.Context, path string) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create data directory: %w", err)
	}
	pragmas := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"foreign_keys(1)",
		"synchronous(FULL)",
	}
	// The writer gets a large page cache and checkpoints the WAL every 32 MiB rather than every
	// 4 MiB: both cut the I/O per committed batch (about +50% turns/s in BenchmarkTurn).
	wdb, err := sql.Open("sqlite", dsn(abs, append(pragmas, "journal_mode(WAL)", "cache_size(-65536)",
		"wal_autocheckpoint(8192)", "journal_size_limit(67108864)")))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxIdleTime(0)
	conn, err := wdb.Conn(ctx)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || !strings.EqualFold(mode, "wal") {
		conn.Close()
		wdb.Close()
		return nil, fmt.Errorf("sqlite: %s: cannot enable WAL mode (journal_mode=%q): %v", abs, mode, err)
	}
	if err := migrate(ctx, conn); err != nil {
		conn.Close()
		wdb.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", abs, err)
	}
	w, err := newWriter(ctx, conn)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", abs, err)
	}
	read, err := sql.Open("sqlite", dsn(abs, append(pragmas, "query_only(1)", "cache_size(-16384)")))
	if err != nil {
		w.close()
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	s := &SQLite{read: read, wdb: wdb, ops: make(chan *op, 4*maxBatch), stopped: make(chan struct{})}
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.getConv, `SELECT ` + conversationColumns + ` FROM conversations WHERE id = ?`},
		{&s.getMsgs, `SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = ? ORDER BY seq`},
		{&s.convExists, `SELECT 1 FROM conversations WHERE id = ?`},
	} {
		if *p.dst, err = read.PrepareContext(ctx, p.sql); err != nil {
			w.close()
			read.Close()
			wdb.Close()
			return nil, fmt.Errorf("sqlite: %s: prepare: %w", abs, err)
		}
	}
	go func() {
		defer close(s.stopped)
		w.run(s.ops)
	}()
	return s, nil
}

func dsn(path string, pragmas []string) string {
	q := url.Values{"_pragma": pragmas}
	return (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String()
}

// Close waits for pending writes to commit, then closes the database. Later calls return
// store.ErrClosed; closing twice is harmless.
func (s *SQLite) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.ops)
	s.mu.Unlock()
	<-s.stopped
	return errors.Join(s.read.Close(), s.wdb.Close())
}

// begin marks a call in flight; it fails once the store is closed. Every begin is paired with end.
func (s *SQLite) begin() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

func (s *SQLite) end() { s.mu.RUnlock() }

// write queues fn for the writer and waits until its batch committed.
func (s *SQLite) write(ctx context.Context, fn func(w *writer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.ops <- o:
	case <-ctx.Done():
		s.end()
		return ctx.Err()
	}
	s.end()
	// Once queued, wait for the outcome even if ctx ends: fn may already be running, and the
	// caller must not see its result half-written.
	return <-o.done
}

// CreateConversation stores c. An empty ID gets a random one, an empty Status becomes open and
// zero times become now; those are set on c.
func (s *SQLite) CreateConversation(ctx context.Context, c *store.Conversation) error {
	if c.ID == "" {
		c.ID = newID()
	}
	if c.Status == "" {
		c.Status = store.StatusOpen
	}
	if c.Tenant == "" {
		c.Tenant = store.TenantOf(ctx)
	}
	now := time.Now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	args, err := conversationArgs(c)
	if err != nil {
		return err
	}
	return s.write(ctx, func(w *writer) error {
		_, err := w.insConv.Exec(append(append([]any{c.ID}, args...), c.Tenant)...)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("conversation %q: %w", c.ID, store.ErrDuplicate)
		}
		if err == nil {
			c.Version = 1
		}
		return wrap(err, "create conversation")
	})
}

// UpdateConversation replaces c's status, state, CSAT, handoff, UpdatedAt and ResolvedAt when the
// stored version is c.Version (any version when it is zero); the ID, pack and creation time never
// change. A zero UpdatedAt becomes now. On success c.Version is the new version.
func (s *SQLite) UpdateConversation(ctx context.Context, c *store.Conversation) error {
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Now()
	}
	args, err := conversationArgs(c)
	if err != nil {
		return err
	}
	var version int64
	err = s.write(ctx, func(w *writer) error {
		err := w.updConv.QueryRow(append(args[2:], c.ID, c.Version, c.Version)...).Scan(&version) // the mutable columns
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap(err, "update conversation")
		}
		var stored int64
		switch err := w.convVersion.QueryRow(c.ID).Scan(&stored); {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("conversation %q: %w", c.ID, store.ErrNotFound)
		case err != nil:
			return wrap(err, "update conversation")
		}
		return fmt.Errorf("conversation %q at version %d, saved over %d: %w", c.ID, stored, c.Version, store.ErrConflict)
	})
	if err == nil {
		c.Version = version
	}
	return err
}

// conversationArgs returns c's columns after the ID: pack and created_at, then the mutable ones
// (status, updated_at, resolved_at, state, csat, handoff).
func conversationArgs(c *store.Conversation) ([]any, error) {
	var resolved any
	if c.ResolvedAt != nil {
		resolved = c.ResolvedAt.UnixNano()
	}
	csat, err := jsonOrNil(c.CSAT != nil, c.CSAT)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode csat: %w", err)
	}
	handoff, err := jsonOrNil(c.Handoff != nil, c.Handoff)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode handoff: %w", err)
	}
	return []any{c.Pack, c.CreatedAt.UnixNano(), c.Status, c.UpdatedAt.UnixNano(), resolved,
		bytesOrNil(c.State), csat, handoff}, nil
}

const conversationColumns = `id, pack, status, created_at, updated_at, resolved_at, state, csat, handoff, version, tenant`

type scanner interface{ Scan(dest ...any) error }

func scanConversation(r scanner) (*store.Conversation, error) {
	var (
		c                    store.Conversation
		created, updated     int64
		resolved             sql.NullInt64
		state, csat, handoff []byte
	)
	if err := r.Scan(&c.ID, &c.Pack, &c.Status, &created, &updated, &resolved, &state, &csat, &handoff, &c.Version, &c.Tenant); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromNanos(created), fromNanos(updated)
	if resolved.Valid {
		t := fromNanos(resolved.Int64)
		c.ResolvedAt = &t
	}
	if err := c.DecodeColumns(state, csat, handoff); err != nil {
		return nil, err
	}
	return &c, nil
}

// Conversation returns the conversation with the given ID or store.ErrNotFound.
func (s *SQLite) Conversation(ctx context.Context, id string) (*store.Conversation, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	c, err := scanConversation(s.getConv.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("conversation %q: %w", id, store.ErrNotFound)
	}
	return c, wrap(err, "get conversation")
}

// Conversations lists conversations newest first (by creation time). Filter.Since matches
// conversations created at or after it.
func (s *SQLite) Conversations(ctx context.Context, f store.Filter) ([]*store.Conversation, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	q := `SELECT ` + conversationColumns + ` FROM conversations WHERE 1 = 1`
	var args []any
	if f.Tenant != "" {
		q += ` AND tenant = ?`
		args = append(args, f.Tenant)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if !f.Since.IsZero() {
		q += ` AND created_at >= ?`
		args = append(args, f.Since.UnixNano())
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
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

// AddMessage appends m to its conversation and assigns the next Seq (from 1). An empty ID gets a
// random one and a zero CreatedAt becomes now. When the conversation already holds a message with
// m's non-empty IdempotencyKey, AddMessage returns that message and store.ErrDuplicate.
func (s *SQLite) AddMessage(ctx context.Context, m *store.Message) (*store.Message, error) {
	if m.ID == "" {
		m.ID = newID()
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	parts, err := jsonOrNil(len(m.Parts) > 0, m.Parts)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode parts: %w", err)
	}
	var key any
	if m.IdempotencyKey != "" {
		key = m.IdempotencyKey
	}
	var (
		seq      int
		existing *store.Message
	)
	err = s.write(ctx, func(w *writer) error {
		if key != nil {
			old, err := scanMessage(w.msgByKey.QueryRow(m.ConversationID, key))
			if err == nil {
				existing = old
				return fmt.Errorf("message with idempotency key %q: %w", m.IdempotencyKey, store.ErrDuplicate)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return wrap(err, "add message")
			}
		}
		err := w.insMsg.QueryRow(m.ID, m.ConversationID, m.Role, m.Text, parts, key, m.CreatedAt.UnixNano()).Scan(&seq)
		switch {
		case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY):
			return fmt.Errorf("conversation %q: %w", m.ConversationID, store.ErrNotFound)
		case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY):
			return fmt.Errorf("message %q: %w", m.ID, store.ErrDuplicate)
		case err != nil:
			return wrap(err, "add message")
		}
		return w.addBlobRefs(m.ConversationID, m.ID, m.CreatedAt, store.BlobHashes(m.Parts, nil))
	})
	if existing != nil {
		return existing, err
	}
	if err != nil {
		return nil, err
	}
	m.Seq = seq
	return m, nil
}

// SetReply stores the reply and observations of a message; store.ErrNotFound when the conversation
// has no such message.
func (s *SQLite) SetReply(ctx context.Context, conversationID, messageID string, reply, observations json.RawMessage) error {
	return s.write(ctx, func(w *writer) error {
		res, err := w.setRep.Exec(bytesOrNil(reply), bytesOrNil(observations), messageID, conversationID)
		if err != nil {
			return wrap(err, "set reply")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("message %q in conversation %q: %w", messageID, conversationID, store.ErrNotFound)
		}
		return w.addBlobRefs(conversationID, messageID, time.Now(), store.BlobHashes(nil, reply))
	})
}

const messageColumns = `id, conversation_id, seq, role, text, parts, idempotency_key, created_at, reply, observations`

func scanMessage(r scanner) (*store.Message, error) {
	var (
		m                 store.Message
		parts, reply, obs []byte
		key               sql.NullString
		created           int64
	)
	if err := r.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.Role, &m.Text, &parts, &key, &created, &reply, &obs); err != nil {
		return nil, err
	}
	m.IdempotencyKey = key.String
	m.CreatedAt = fromNanos(created)
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

// Messages returns a conversation's messages in Seq order; store.ErrNotFound for an unknown
// conversation.
func (s *SQLite) Messages(ctx context.Context, conversationID string) ([]*store.Message, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	rows, err := s.getMsgs.QueryContext(ctx, conversationID)
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
		err := s.convExists.QueryRowContext(ctx, conversationID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("conversation %q: %w", conversationID, store.ErrNotFound)
		}
		if err != nil {
			return nil, wrap(err, "list messages")
		}
	}
	return out, nil
}

// wrap adds the operation to a driver error; nil stays nil.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

func isConstraint(err error, code int) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code() == code
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func bytesOrNil(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

func jsonOrNil(present bool, v any) (any, error) {
	if !present {
		return nil, nil
	}
	return json.Marshal(v)
}

// newID returns a random 128-bit identifier in hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
