package server

import (
	"context"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/live"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// Turn stores and processes a customer message made of items (live voice); audio parts keep their
// bytes in Part.Data.
func (s *Server) Turn(ctx context.Context, conversationID string, items []media.Item) (dialogue.Reply, error) {
	res, err := s.TurnDetail(ctx, conversationID, items)
	return res.Reply, err
}

var _ live.DetailTurner = (*Server)(nil)

// TurnDetail is Turn with the message ID, the new state, what was heard and the affect, for the
// live stream.
func (s *Server) TurnDetail(ctx context.Context, conversationID string, items []media.Item) (live.TurnResult, error) {
	res, err := s.conv.Say(ctx, conversationID, items)
	if err != nil {
		return live.TurnResult{}, err
	}
	affect := res.Affect
	return live.TurnResult{MessageID: res.MessageID, Reply: res.Reply, State: res.State, Transcript: res.Heard, Affect: &affect}, nil
}

// Observe runs perception and fusion on items (camera frames) without producing a reply.
func (s *Server) Observe(ctx context.Context, conversationID string, items []media.Item) error {
	return s.conv.Observe(ctx, conversationID, items)
}

// Affect returns a conversation's current affect (zero for an unknown conversation).
func (s *Server) Affect(conversationID string) dialogue.Affect {
	cv, err := s.load(context.Background(), conversationID)
	if err != nil {
		return dialogue.Affect{}
	}
	return cv.State.Affect
}

// completer is implemented by a speech stage that can tell whether live speech already answers
// what the dialogue waits for.
type completer interface {
	Complete(ctx context.Context, pcm media.PCM, e perception.Expectation) bool
}

// holder is implemented by a speech stage that can tell live speech is plainly an unfinished
// answer.
type holder interface {
	Unfinished(ctx context.Context, pcm media.PCM, e perception.Expectation) bool
}

var (
	_ live.Endpointer = (*Server)(nil)
	_ live.Holder     = (*Server)(nil)
)

// Complete implements live.Endpointer: the utterance is a whole answer to the conversation's
// current expectation (a yes or no, a full amount), so the live stream need not wait longer.
func (s *Server) Complete(ctx context.Context, conversationID string, pcm media.PCM) bool {
	expect, ok := s.expectation(ctx, conversationID)
	if !ok {
		return false
	}
	for _, st := range s.pipeline.Stages() {
		if c, ok := st.(completer); ok && c.Complete(ctx, pcm, expect) {
			return true
		}
	}
	return false
}

// Unfinished implements live.Holder: the utterance is plainly an unfinished answer to the
// conversation's current expectation ("one thousand …" for an amount), so the live stream waits
// through a longer pause.
func (s *Server) Unfinished(ctx context.Context, conversationID string, pcm media.PCM) bool {
	expect, ok := s.expectation(ctx, conversationID)
	if !ok {
		return false
	}
	for _, st := range s.pipeline.Stages() {
		if h, ok := st.(holder); ok && h.Unfinished(ctx, pcm, expect) {
			return true
		}
	}
	return false
}

// expectation returns what the conversation's dialogue waits for now.
func (s *Server) expectation(ctx context.Context, conversationID string) (perception.Expectation, bool) {
	cv, err := s.load(ctx, conversationID)
	if err != nil {
		return perception.Expectation{}, false
	}
	return cv.State.Expect, true
}
