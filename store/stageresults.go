package store

import (
	"context"
	"encoding/json"
	"time"
)

// Origins of stage results.
const (
	// OriginJob marks the result of a perception job run for a turn (by a worker, or by the node
	// itself when no worker answered in time).
	OriginJob = "job"
	// OriginReplay marks a result of parley replay: stored media read again by the current stages.
	OriginReplay = "replay"
)

// StageResult is what one version of a stage observed in one message, made outside the turn
// that stored the message's own observations.
type StageResult struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	Stage          string `json:"stage"`
	StageVersion   string `json:"stage_version"`
	// Origin says what produced it (OriginJob, OriginReplay); a job's origin may carry a suffix
	// naming what the stage was asked to expect ("job:1a2b3c4d").
	Origin string `json:"origin"`
	// Observations is the JSON array of the stage's perception observations.
	Observations json.RawMessage `json:"observations"`
	CreatedAt    time.Time       `json:"created_at"`
}

// StageResults keeps stage results for every process sharing the store. A result is never
// rewritten: the first one stored under a key (message, stage, version, origin) stays.
type StageResults interface {
	// PutStageResult stores r unless a result with its key exists. It returns the result now
	// stored under the key and whether it is r. A zero CreatedAt becomes now.
	PutStageResult(ctx context.Context, r *StageResult) (stored *StageResult, created bool, err error)
	// StageResult returns the result stored under the key; ErrNotFound when there is none.
	StageResult(ctx context.Context, messageID, stage, version, origin string) (*StageResult, error)
	// StageResults returns a conversation's results, oldest first (none for an unknown one).
	StageResults(ctx context.Context, conversationID string) ([]*StageResult, error)
}
