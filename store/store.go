// Package store keeps conversations, messages and blobs durably. The embedded SQLite backend is the
// default; every backend passes the conformance suite in store/storetest.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Sentinel errors every backend returns.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrDuplicate = errors.New("store: duplicate")
	ErrClosed    = errors.New("store: closed")
	// ErrConflict is returned by UpdateConversation when the conversation was saved by someone
	// else since it was read: the caller reads it again and redoes its change.
	ErrConflict = errors.New("store: conflict: the conversation changed since it was read")
)

// Conversation statuses.
const (
	StatusOpen     = "open"
	StatusHandoff  = "handoff"
	StatusResolved = "resolved"
)

// Conversation is one customer conversation. State is the dialogue state as JSON: the store keeps it
// opaque so the dialogue can evolve without schema changes.
type Conversation struct {
	ID string `json:"id"`
	// Tenant owns the conversation; an empty one at creation becomes the tenant of the context
	// (WithTenant), else DefaultTenant. It never changes.
	Tenant     string          `json:"tenant,omitempty"`
	Pack       string          `json:"pack"`
	Status     string          `json:"status"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	ResolvedAt *time.Time      `json:"resolved_at,omitempty"`
	State      json.RawMessage `json:"state,omitempty"`
	CSAT       *CSAT           `json:"csat,omitempty"`
	Handoff    *Handoff        `json:"handoff,omitempty"`
	// Version counts the saves of the conversation: 1 once created, one more after each
	// UpdateConversation. A change read at one version can only be saved over that version.
	Version int64 `json:"version"`
}

// CSAT is the customer's satisfaction rating.
type CSAT struct {
	Score   int       `json:"score"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// Handoff records that a conversation waits for a person.
type Handoff struct {
	Reason  string    `json:"reason"`
	Summary string    `json:"summary"`
	At      time.Time `json:"at"`
	// Agent is set when a person has answered.
	Agent string `json:"agent,omitempty"`
}

// Message roles.
const (
	RoleCustomer = "customer"
	RoleAgent    = "agent" // a human agent
)

// Message is one customer (or human agent) message with the reply Parley gave to it.
type Message struct {
	ID             string          `json:"id"`
	ConversationID string          `json:"conversation_id"`
	Seq            int             `json:"seq"`
	Role           string          `json:"role"`
	Text           string          `json:"text,omitempty"`
	Parts          []BlobRef       `json:"parts,omitempty"`
	IdempotencyKey string          `json:"-"`
	CreatedAt      time.Time       `json:"created_at"`
	Reply          json.RawMessage `json:"reply,omitempty"`
	Observations   json.RawMessage `json:"observations,omitempty"`
}

// BlobRef names a stored blob from a message.
type BlobRef struct {
	Kind        string `json:"kind"` // image, audio, video
	Hash        string `json:"hash"` // sha256, hex
	ContentType string `json:"content_type"`
	Name        string `json:"name,omitempty"`
	Size        int64  `json:"size"`
}

// Filter selects conversations to list; zero values match everything.
type Filter struct {
	// Tenant keeps only that tenant's conversations; empty keeps all (tools only).
	Tenant string
	Status string
	Since  time.Time
	Limit  int
}

// Store keeps conversations and messages.
type Store interface {
	// CreateConversation stores a new conversation at version 1 (set on c); ErrDuplicate if the ID
	// exists.
	CreateConversation(ctx context.Context, c *Conversation) error
	// Conversation returns one conversation or ErrNotFound.
	Conversation(ctx context.Context, id string) (*Conversation, error)
	// UpdateConversation replaces a conversation's mutable fields (status, state, csat, handoff, times)
	// when the stored version still equals c.Version, and sets c.Version to the new version. A stale
	// c.Version fails with ErrConflict and changes nothing; a zero c.Version writes whatever is
	// stored (for tools that change a conversation without reading it first).
	UpdateConversation(ctx context.Context, c *Conversation) error
	// Conversations lists conversations matching f, newest first.
	Conversations(ctx context.Context, f Filter) ([]*Conversation, error)
	// AddMessage appends a message and assigns its Seq. When a message with the same non-empty
	// IdempotencyKey exists in the conversation, it returns that message and ErrDuplicate.
	AddMessage(ctx context.Context, m *Message) (*Message, error)
	// SetReply stores the reply and observations of a message.
	SetReply(ctx context.Context, conversationID, messageID string, reply, observations json.RawMessage) error
	// Messages returns a conversation's messages in order.
	Messages(ctx context.Context, conversationID string) ([]*Message, error)
	Close() error
}

// Blobs keeps message attachments and generated media, addressed by content hash.
type Blobs interface {
	// Put stores data read from r (at most max bytes, ErrTooLarge past that) and returns its ref.
	Put(ctx context.Context, r io.Reader, max int64) (BlobRef, error)
	// Open returns the blob with the given hash or ErrNotFound.
	Open(ctx context.Context, hash string) (io.ReadCloser, error)
	// Delete removes the blob with the given hash; ErrNotFound when there is none.
	Delete(ctx context.Context, hash string) error
}

// Notifier carries short messages to every process sharing a store (conversation events, so a
// client connected to one node sees what another node did). Delivery is best effort: a listener
// that is reconnecting misses what was sent meanwhile.
type Notifier interface {
	// Notify sends payload on channel to every listener, this process's included.
	Notify(ctx context.Context, channel string, payload []byte) error
	// Listen calls fn with each payload sent on channel until the listener is closed.
	Listen(ctx context.Context, channel string, fn func(payload []byte)) (io.Closer, error)
}

// ErrTooLarge is returned by Blobs.Put when the data exceeds the limit.
var ErrTooLarge = errors.New("store: too large")

// DecodeColumns fills a conversation's JSON columns (state, csat, handoff) as a backend read them;
// empty columns stay unset.
func (c *Conversation) DecodeColumns(state, csat, handoff []byte) error {
	if len(state) > 0 {
		c.State = state
	}
	if len(csat) > 0 {
		c.CSAT = new(CSAT)
		if err := json.Unmarshal(csat, c.CSAT); err != nil {
			return fmt.Errorf("decode csat of %q: %w", c.ID, err)
		}
	}
	if len(handoff) > 0 {
		c.Handoff = new(Handoff)
		if err := json.Unmarshal(handoff, c.Handoff); err != nil {
			return fmt.Errorf("decode handoff of %q: %w", c.ID, err)
		}
	}
	return nil
}
