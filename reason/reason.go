// Package reason answers open questions. The local reasoner retrieves the best article of the
// active pack with BM25; the cloud reasoner asks an OpenAI-compatible chat endpoint; the Router
// tries local first and goes to the cloud only when local retrieval is not confident, within a
// budget and behind a circuit breaker, falling back to local when the cloud fails.
package reason

import (
	"context"
	"errors"
)

// ErrNoAnswer is returned when a reasoner has nothing useful to say.
var ErrNoAnswer = errors.New("reason: no answer")

// Turn is one line of conversation history.
type Turn struct {
	Role string `json:"role"` // customer or parley
	Text string `json:"text"`
}

// Query is a customer's open question in context.
type Query struct {
	Pack    string
	Text    string
	History []Turn
}

// Answer is a reasoner's reply with its source and how it was produced.
type Answer struct {
	Text      string  `json:"text"`
	Source    string  `json:"source,omitempty"` // article title
	SourceID  string  `json:"source_id,omitempty"`
	Score     float64 `json:"score"`
	Confident bool    `json:"confident"`
	// By names the reasoner that produced the answer; Route explains the router's decision.
	By    string `json:"by"`
	Route string `json:"route,omitempty"`
}

// Reasoner answers a query.
type Reasoner interface {
	Respond(ctx context.Context, q Query) (Answer, error)
}
