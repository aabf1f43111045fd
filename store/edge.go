package store

import (
	"context"
	"errors"
)

// ErrBadValue is returned for a value a store method cannot take as given (a negative count).
var ErrBadValue = errors.New("store: bad value")

// EdgeBytes is what a conversation's device sent up for one kind of media (video, photo, audio)
// and what the raw media would have cost.
type EdgeBytes struct {
	Kind string `json:"kind"`
	Sent int64  `json:"sent"`
	Raw  int64  `json:"raw"`
}

// EdgeTotals sums the byte counters of every conversation by kind, sorted by kind.
type EdgeTotals struct {
	// Conversations is how many conversations have a counter.
	Conversations int         `json:"conversations"`
	Kinds         []EdgeBytes `json:"kinds"`
}

// EdgeCounters keeps the bytes devices send up, per conversation and kind, for every process
// sharing the store.
type EdgeCounters interface {
	// AddEdgeBytes adds sent and raw (neither negative: ErrBadValue) to the conversation's
	// counter of kind; ErrNotFound when the conversation does not exist.
	AddEdgeBytes(ctx context.Context, conversationID, kind string, sent, raw int64) error
	// EdgeBytes returns the conversation's counters sorted by kind (none when it has none).
	EdgeBytes(ctx context.Context, conversationID string) ([]EdgeBytes, error)
	// EdgeTotals returns every conversation's counters summed by kind.
	EdgeTotals(ctx context.Context) (EdgeTotals, error)
}
