// Package reason answers open questions. The local reasoner retrieves the best article of the
// active pack with BM25; the cloud reasoner asks any OpenAI-compatible chat endpoint through the
// official OpenAI Go SDK, with the pack's tools (search the knowledge pack, look up a part, propose
// an order or a handoff); the Router decides per turn which one answers, from the local answer's
// confidence, whether a flow covers the turn, how complex the question is, the conversation's
// budget of calls, tokens and money, and the endpoint's health, and falls back to the local
// answer within a deadline so that no turn fails. Every decision carries its reason. OpenAI.Transcribe
// sends open speech to the endpoint's transcription API through the same SDK.
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

// Image is a picture the cloud model may see (a crop, already cut to what the question needs).
type Image struct {
	Data        []byte
	ContentType string
}

// Query is a customer's open question in context.
type Query struct {
	Pack    string
	Text    string
	History []Turn
	// Conversation keys the per-conversation budget; empty takes it from the context
	// (WithConversation) or shares one budget among all anonymous queries.
	Conversation string
	// IntentConfidence is the dialogue's confidence in the turn's intent (0: unknown).
	IntentConfidence float64
	// FlowCovers says a pack flow handles the turn, so the cloud is not needed.
	FlowCovers bool
	// Evidence lists facts the cloud may use (already masked by the caller or masked here).
	Evidence []string
	// Images are crops the cloud may look at.
	Images []Image
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
	// Decision is the router's full record of the turn.
	Decision *Decision `json:"decision,omitempty"`
	// Actions are what the cloud model proposed through its tools (an order, a handoff); the
	// dialogue's flows decide whether they happen.
	Actions []ToolAction `json:"actions,omitempty"`
	// Tokens is what the cloud call used (prompt and completion).
	Tokens int `json:"tokens,omitempty"`
}

// Reasoner answers a query.
type Reasoner interface {
	Respond(ctx context.Context, q Query) (Answer, error)
}

type convKey struct{}

// WithConversation returns a context that names the conversation a query belongs to, for
// callers that build a Query without it.
func WithConversation(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, convKey{}, id)
}

// conversationOf returns the query's conversation, from the query or the context.
func conversationOf(ctx context.Context, q Query) string {
	if q.Conversation != "" {
		return q.Conversation
	}
	id, _ := ctx.Value(convKey{}).(string)
	return id
}
