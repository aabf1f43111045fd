package conversation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/jobs"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/reason"
	"github.com/parleyhq/parley/store"
)

// Result is what a turn produced.
type Result struct {
	MessageID string
	Reply     dialogue.Reply
	// State is the conversation's state after the turn, as stored.
	State json.RawMessage
	// Heard is what perception heard in the message's audio.
	Heard string
	// Affect is the customer's affect after the turn.
	Affect dialogue.Affect
	// Version is the conversation's version after the turn.
	Version int64
}

// Say stores a customer message made of items (a live utterance: audio parts keep their bytes in
// Data) and runs its turn.
func (s *Service) Say(ctx context.Context, id string, items []media.Item) (*Result, error) {
	if err := s.Check(ctx, id); err != nil {
		return nil, err
	}
	msg := &store.Message{ConversationID: id, Role: store.RoleCustomer, CreatedAt: s.now()}
	for _, it := range items {
		if it.Kind == media.Text {
			msg.Text += it.Text
			continue
		}
		ref, err := s.cfg.Blobs.Put(ctx, bytes.NewReader(it.Data), s.cfg.Limits.MaxBytes(it.Kind))
		if err != nil {
			return nil, err
		}
		ref.Kind, ref.ContentType, ref.Name = string(it.Kind), it.ContentType, it.Name
		msg.Parts = append(msg.Parts, ref)
	}
	return s.Deliver(ctx, msg)
}

// Deliver stores a customer message durably, then runs its turn: perception, fusion, the reply,
// and saves the reply and the state together over the version the turn started from. A retried
// message (the same IdempotencyKey) gets the stored reply instead of a second turn.
func (s *Service) Deliver(ctx context.Context, msg *store.Message) (*Result, error) {
	defer s.locks.lock(msg.ConversationID)()
	stored, err := s.cfg.Store.AddMessage(ctx, msg)
	switch {
	case errors.Is(err, store.ErrDuplicate) && stored != nil:
		if len(stored.Reply) > 0 {
			var reply dialogue.Reply
			if err := json.Unmarshal(stored.Reply, &reply); err != nil {
				return nil, err
			}
			snap, err := s.Load(ctx, msg.ConversationID)
			if err != nil {
				return nil, err
			}
			return &Result{MessageID: stored.ID, Reply: reply, State: snap.Conv.State, Affect: snap.State.Affect, Version: snap.Conv.Version}, nil
		}
	case err != nil:
		return nil, err
	}
	msg = stored
	s.publish(msg.ConversationID, dialogue.Event{Type: "message", Data: map[string]any{"message_id": msg.ID, "text": msg.Text, "parts": msg.Parts}})
	items, unread, err := s.items(ctx, msg)
	if err != nil {
		return nil, err
	}
	return s.turn(ctx, msg, items, unread)
}

// turn runs perception and the dialogue on a stored message and saves the outcome, redoing the
// dialogue on fresh state after a conflicting save; perception runs again only when what the
// dialogue expects changed. The caller holds the conversation's lock.
func (s *Service) turn(ctx context.Context, msg *store.Message, items []media.Item, unread []error) (*Result, error) {
	ctx = reason.WithConversation(ctx, msg.ConversationID)
	// Stages run as perception jobs find the message's parts in the blob store by this.
	ctx = jobs.WithMessage(ctx, msg.ConversationID, msg.Parts)
	if s.cfg.TurnTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.TurnTimeout)
		defer cancel()
	}
	if s.cfg.Hooks.Part != nil {
		for _, it := range items {
			s.cfg.Hooks.Part(it.Kind)
		}
	}
	var (
		obs       []perception.Observation
		errs      []error
		expect    perception.Expectation
		perceived bool
	)
	for attempt := 1; ; attempt++ {
		snap, err := s.start(ctx, msg.ConversationID)
		if err != nil {
			return nil, err
		}
		if e := s.cfg.Engine.Expectation(snap.State); !perceived || !reflect.DeepEqual(e, expect) {
			obs, errs = s.cfg.Pipeline.Run(ctx, items, e)
			errs = append(errs, unread...)
			if err := s.storeAttachments(ctx, obs); err != nil {
				return nil, err
			}
			expect, perceived = e, true
			for _, e := range errs {
				s.log.InfoContext(ctx, "perception stage failed", "message", msg.ID, "err", e)
			}
		}
		ch := &Change{Snapshot: snap}
		out, err := s.respond(ctx, ch, msg, items, obs, errs)
		if err != nil {
			return nil, err
		}
		err = s.saveTurn(ctx, ch.Snapshot, msg.ID, out.Reply, obs)
		if errors.Is(err, store.ErrConflict) {
			if err := s.conflicted(attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		s.acted(ctx, ch, out, obs)
		res := &Result{MessageID: msg.ID, Reply: out.Reply, State: ch.Conv.State, Heard: transcript(obs),
			Affect: ch.State.Affect, Version: ch.Conv.Version}
		s.cache.put(ch.Snapshot)
		s.finish(ch)
		return res, nil
	}
}

// respond runs the dialogue on the change's fresh state: the reply, a handoff, resolution.
func (s *Service) respond(ctx context.Context, ch *Change, msg *store.Message, items []media.Item, obs []perception.Observation, errs []error) (dialogue.Outcome, error) {
	c, st := ch.Conv, ch.State
	var out dialogue.Outcome
	if c.Status == store.StatusHandoff {
		evs := s.cfg.Engine.Observe(st, obs)
		out = dialogue.Outcome{Events: evs, Reply: dialogue.Reply{
			Parts: []dialogue.Part{{Type: "text", Text: "Thanks — a person from our team will answer you here shortly."}},
			Style: dialogue.StyleFor(st.Affect, 0, s.now()),
		}}
	} else {
		var err error
		out, err = s.cfg.Engine.Turn(ctx, st, dialogue.Input{MessageID: msg.ID, Text: msg.Text, Kinds: kinds(items), Modalities: modalities(items), Observations: obs})
		if err != nil {
			return out, err
		}
	}
	if note := problems(items, obs, errs); note != "" {
		out.Reply.Parts = append([]dialogue.Part{{Type: "text", Text: note}}, out.Reply.Parts...)
	}
	if err := s.storeParts(ctx, out.Reply.Parts); err != nil {
		return out, err
	}
	for i := range out.Reply.Parts {
		// the order page places the order for this conversation
		if p := &out.Reply.Parts[i]; p.Type == "link" && strings.HasPrefix(p.URL, "/order.html?") {
			p.URL += "&conversation=" + c.ID
		}
	}
	if s.wantsSpeech(items) {
		if p, err := s.speak(ctx, out.Reply); err != nil {
			s.log.WarnContext(ctx, "speech synthesis failed", "err", err)
		} else {
			out.Reply.Parts = append(out.Reply.Parts, p)
		}
	}
	if out.Handoff != nil {
		s.StartHandoff(ch, out.Handoff)
	}
	if st.Resolved && c.ResolvedAt == nil {
		now := s.now()
		c.ResolvedAt = &now
		if c.Status == store.StatusOpen {
			c.Status = store.StatusResolved
		}
		if s.cfg.Hooks.Resolved != nil {
			pack, after := c.Pack, now.Sub(c.CreatedAt)
			ch.After(func() { s.cfg.Hooks.Resolved(pack, after) })
		}
	} else if !st.Resolved && c.Status == store.StatusResolved {
		c.Status = store.StatusOpen
		c.ResolvedAt = nil
	}
	ch.Publish(out.Events...)
	return out, nil
}

// saveTurn stores the message's reply and the conversation's new state at once; the state is
// saved only over the version the turn read (store.ErrConflict otherwise, and the retry rewrites
// the reply).
func (s *Service) saveTurn(ctx context.Context, snap *Snapshot, messageID string, reply dialogue.Reply, obs []perception.Observation) error {
	replyJSON, err := json.Marshal(reply)
	if err != nil {
		return err
	}
	obsJSON, err := json.Marshal(obs)
	if err != nil {
		return err
	}
	// A turn whose client went away still stores what it did.
	wctx := context.WithoutCancel(ctx)
	replyErr := make(chan error, 1)
	go func() { replyErr <- s.cfg.Store.SetReply(wctx, snap.Conv.ID, messageID, replyJSON, obsJSON) }()
	return errors.Join(s.save(wctx, snap), <-replyErr)
}

// acted runs the effects of a saved turn: counts, the actions' delivery and records, and the new
// state as an event.
func (s *Service) acted(ctx context.Context, ch *Change, out dialogue.Outcome, obs []perception.Observation) {
	c := ch.Conv
	if s.cfg.Hooks.Turn != nil {
		s.cfg.Hooks.Turn(c.Pack)
	}
	for _, o := range obs {
		if o.Kind == perception.KindCheck {
			s.docs.keep(c.ID, o)
		}
	}
	for _, a := range out.Actions {
		if tm, ok := a.Params["timings_ms"].(map[string]float64); ok && a.Type == "diagnosis" && s.cfg.Hooks.Output != nil {
			for name, ms := range tm {
				s.cfg.Hooks.Output(c.Pack, name, ms/1000)
			}
		}
		if s.cfg.Hooks.Act != nil {
			s.cfg.Hooks.Act(ctx, c.ID, a)
		}
		s.record(ctx, c.ID, a)
	}
	ch.Publish(dialogue.Event{Type: "state", Data: c.State})
}

// record tells the stages that keep records (the check stage's deposited checks) about an action.
func (s *Service) record(ctx context.Context, id string, a dialogue.Action) {
	docs := s.docs.of(id)
	if s.cfg.Documents != nil {
		docs = s.cfg.Documents(ctx, id)
	}
	for _, o := range docs {
		for _, st := range s.cfg.Pipeline.Stages() {
			if r, ok := st.(perception.Recorder); ok && st.Name() == o.Source.Stage {
				if err := r.Record(ctx, a.Type, o, id); err != nil {
					s.log.WarnContext(ctx, "record not kept", "stage", st.Name(), "action", a.Type, "err", err)
				}
			}
		}
	}
}
