package server

import (
	"bytes"
	"context"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/live"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store"
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
	cv, err := s.load(ctx, conversationID)
	if err != nil {
		return live.TurnResult{}, err
	}
	msg := &store.Message{ID: newID("m_"), ConversationID: conversationID, Role: store.RoleCustomer, CreatedAt: s.now()}
	for _, it := range items {
		if it.Kind == media.Text {
			msg.Text += it.Text
			continue
		}
		ref, err := s.blobs.Put(ctx, bytes.NewReader(it.Data), s.cfg.Limits.MaxBytes(it.Kind))
		if err != nil {
			return live.TurnResult{}, err
		}
		ref.Kind, ref.ContentType, ref.Name = string(it.Kind), it.ContentType, it.Name
		msg.Parts = append(msg.Parts, ref)
	}
	resp, err := s.deliver(ctx, cv, msg)
	if err != nil {
		return live.TurnResult{}, err
	}
	cv.mu.Lock()
	affect := cv.state.Affect
	cv.mu.Unlock()
	return live.TurnResult{MessageID: resp.MessageID, Reply: resp.Reply, State: resp.State, Transcript: resp.heard, Affect: &affect}, nil
}

// Observe runs perception and fusion on items (camera frames) without producing a reply.
func (s *Server) Observe(ctx context.Context, conversationID string, items []media.Item) error {
	cv, err := s.load(ctx, conversationID)
	if err != nil {
		return err
	}
	cv.mu.Lock()
	expect := s.engine.Expectation(cv.state)
	started := cv.c.CreatedAt
	cv.mu.Unlock()
	// Live frames come without a message or a time: the face stage keeps each call's face tracks
	// and cue baselines under the conversation, placed in time since it began.
	for i := range items {
		if items[i].MessageID == "" {
			items[i].MessageID = "live:" + conversationID
		}
		if items[i].Offset == 0 && !started.IsZero() {
			items[i].Offset = max(time.Millisecond, s.now().Sub(started))
		}
	}
	obs, _ := s.pipeline.Run(ctx, items, expect)
	if len(obs) == 0 {
		return nil
	}
	cv.mu.Lock()
	defer cv.mu.Unlock()
	evs := s.engine.Observe(cv.state, obs)
	s.hub.publish(conversationID, evs...)
	return s.save(ctx, cv)
}

// Affect returns a conversation's current affect (zero for an unknown conversation).
func (s *Server) Affect(conversationID string) dialogue.Affect {
	cv, err := s.load(context.Background(), conversationID)
	if err != nil {
		return dialogue.Affect{}
	}
	cv.mu.Lock()
	defer cv.mu.Unlock()
	return cv.state.Affect
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
	cv.mu.Lock()
	defer cv.mu.Unlock()
	return cv.state.Expect, true
}
