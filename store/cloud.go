package store

import (
	"context"
	"time"
)

// CloudUsage is what one conversation has spent on the cloud model.
type CloudUsage struct {
	Calls  int64   `json:"calls"`
	Tokens int64   `json:"tokens"`
	Money  float64 `json:"money"`
}

// CloudLimits bound a conversation's cloud use; zero fields are unlimited.
type CloudLimits struct {
	Calls  int64
	Tokens int64
	Money  float64
}

// Allows reports whether use is under every non-zero limit, so one more call may be made.
func (l CloudLimits) Allows(use CloudUsage) bool {
	return (l.Calls <= 0 || use.Calls < l.Calls) && (l.Tokens <= 0 || use.Tokens < l.Tokens) && (l.Money <= 0 || use.Money < l.Money)
}

// Breaker is the circuit breaker of one cloud endpoint: consecutive failures since the last
// success, and until when it is open (zero: closed; in the past: half-open, one call may probe).
type Breaker struct {
	Failures  int       `json:"failures"`
	OpenUntil time.Time `json:"open_until,omitzero"`
}

// CloudState keeps the cloud model's budget per conversation and each endpoint's circuit
// breaker, so every process sharing the store enforces one budget and sees one breaker.
type CloudState interface {
	// ReserveCloudCall counts one more call of the conversation when its use allows it under
	// lim (CloudLimits.Allows), atomically; it returns the use before the call and whether the
	// call was counted.
	ReserveCloudCall(ctx context.Context, conversationID string, lim CloudLimits) (CloudUsage, bool, error)
	// AddCloudSpend adds tokens and money (neither negative: ErrBadValue) to the conversation's use.
	AddCloudSpend(ctx context.Context, conversationID string, tokens int64, money float64) error
	// CloudBreaker returns the endpoint's breaker; zero when it never failed.
	CloudBreaker(ctx context.Context, endpoint string) (Breaker, error)
	// ClaimCloudProbe lets one caller probe a half-open endpoint: when its breaker opened and
	// OpenUntil <= now, OpenUntil becomes until (the others see it open meanwhile) and it
	// reports true; otherwise it changes nothing and reports false.
	ClaimCloudProbe(ctx context.Context, endpoint string, now, until time.Time) (bool, error)
	// CloudFailure counts a failed call; when the failures reach breakAfter (at least 1) the
	// breaker opens until openUntil and the count restarts. It returns the breaker after.
	CloudFailure(ctx context.Context, endpoint string, breakAfter int, openUntil time.Time) (Breaker, error)
	// CloudSuccess closes the endpoint's breaker.
	CloudSuccess(ctx context.Context, endpoint string) error
}
