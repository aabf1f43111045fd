package server

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/web"
)

func webHandler() http.Handler { return web.Handler() }

// conv is a conversation held in memory with its decoded state; mu serialises its turns.
type conv struct {
	mu    sync.Mutex
	c     *store.Conversation
	state *dialogue.State
	// documents keeps the last reading of each uploaded document kind (a check), so stages can
	// record what was done with it when the flow acts (held in memory only).
	documents map[string]perception.Observation
	// written is closed once the last turn's reply and state are on disk (nil: nothing pending).
	written chan struct{}
}

// settle waits until the conversation's last turn is stored; the caller holds mu, so writes of one
// conversation reach the store in order.
func (cv *conv) settle() {
	if cv.written != nil {
		<-cv.written
	}
}

// convCache keeps recently used conversations so a turn does not re-read and re-decode its state.
type convCache struct {
	mu    sync.Mutex
	max   int
	items map[string]*list.Element
	order *list.List
}

func newConvCache(max int) *convCache {
	return &convCache{max: max, items: map[string]*list.Element{}, order: list.New()}
}

func (cc *convCache) get(id string) *conv {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if e, ok := cc.items[id]; ok {
		cc.order.MoveToFront(e)
		return e.Value.(*conv)
	}
	return nil
}

// put stores cv unless another goroutine stored one first; it returns the one kept.
func (cc *convCache) put(id string, cv *conv) *conv {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if e, ok := cc.items[id]; ok {
		return e.Value.(*conv)
	}
	front := cc.order.PushFront(cv)
	cc.items[id] = front
	// The new entry is never the one dropped: callers hold it, and a second copy of one
	// conversation would let two turns run at once.
	for e := cc.order.Back(); e != nil && e != front && cc.order.Len() > cc.max; {
		prev := e.Prev()
		if old := e.Value.(*conv); old.idle() {
			cc.order.Remove(e)
			delete(cc.items, old.c.ID)
		}
		e = prev
	}
	return cv
}

// idle reports whether the conversation has no turn running and nothing on its way to the store,
// so that dropping it from memory loses nothing.
func (cv *conv) idle() bool {
	if !cv.mu.TryLock() {
		return false
	}
	defer cv.mu.Unlock()
	if cv.written == nil {
		return true
	}
	select {
	case <-cv.written:
		return true
	default:
		return false
	}
}

// load returns the conversation, from the cache or the store.
func (s *Server) load(ctx context.Context, id string) (*conv, error) {
	if cv := s.convs.get(id); cv != nil {
		return cv, nil
	}
	c, err := s.store.Conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	st := dialogue.NewState(c.Pack)
	if len(c.State) > 0 {
		if err := json.Unmarshal(c.State, st); err != nil {
			return nil, fmt.Errorf("server: conversation %s: state: %w", id, err)
		}
	}
	return s.convs.put(id, &conv{c: c, state: st}), nil
}

func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// decodeJSON reads a small JSON body strictly.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body := http.MaxBytesReader(w, r.Body, 1<<20)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if optional && errors.Is(err, io.EOF) {
			return nil
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errorf(http.StatusBadRequest, "malformed_json", "the request body is not valid JSON: "+err.Error())
	}
	return nil
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Pack string `json:"pack"`
	}
	if err := decodeJSON(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Pack == "" {
		req.Pack = s.cfg.DefaultPack
	}
	if _, err := s.packs.Pack(req.Pack); err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now()
	st := dialogue.NewState(req.Pack)
	raw, _ := json.Marshal(st)
	c := &store.Conversation{ID: newID("c_"), Pack: req.Pack, Status: store.StatusOpen, CreatedAt: now, UpdatedAt: now, State: raw}
	if err := s.store.CreateConversation(r.Context(), c); err != nil {
		s.fail(w, r, err)
		return
	}
	s.convs.put(c.ID, &conv{c: c, state: st})
	pack, _ := s.packs.Pack(req.Pack)
	writeJSON(w, http.StatusCreated, map[string]any{"id": c.ID, "pack": c.Pack, "greeting": pack.Greeting})
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// conversationView is the JSON of GET /v1/conversations/{id}.
type conversationView struct {
	*store.Conversation
	State    *dialogue.State `json:"state"`
	Messages []messageView   `json:"messages"`
}

type messageView struct {
	ID        string            `json:"id"`
	Seq       int               `json:"seq"`
	Role      string            `json:"role"`
	Text      string            `json:"text,omitempty"`
	Parts     []store.BlobRef   `json:"parts,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	Reply     json.RawMessage   `json:"reply,omitempty"`
	URLs      map[string]string `json:"urls,omitempty"`
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	cv, err := s.load(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cv.mu.Lock()
	cv.settle()
	view := conversationView{Conversation: cloneConv(cv.c), State: cloneState(cv.state)}
	cv.mu.Unlock()
	msgs, err := s.store.Messages(r.Context(), cv.c.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Conversation.State = nil
	view.Messages = make([]messageView, 0, len(msgs))
	for _, m := range msgs {
		mv := messageView{ID: m.ID, Seq: m.Seq, Role: m.Role, Text: m.Text, Parts: m.Parts, CreatedAt: m.CreatedAt, Reply: m.Reply}
		for _, p := range m.Parts {
			if mv.URLs == nil {
				mv.URLs = map[string]string{}
			}
			mv.URLs[p.Hash] = "/v1/blobs/" + p.Hash
		}
		view.Messages = append(view.Messages, mv)
	}
	writeJSON(w, http.StatusOK, view)
}

func cloneConv(c *store.Conversation) *store.Conversation {
	cp := *c
	return &cp
}

func cloneState(st *dialogue.State) *dialogue.State {
	raw, _ := json.Marshal(st)
	var cp dialogue.State
	_ = json.Unmarshal(raw, &cp)
	return &cp
}

// snapshot encodes the state into the conversation and returns a copy that can be written while the
// conversation goes on changing; the caller holds cv.mu.
func (s *Server) snapshot(cv *conv) (*store.Conversation, error) {
	raw, err := json.Marshal(cv.state)
	if err != nil {
		return nil, err
	}
	cv.c.State = raw
	cv.c.UpdatedAt = s.now()
	c := *cv.c
	c.Version = 0 // this process serialises a conversation's saves itself
	if c.CSAT != nil {
		x := *c.CSAT
		c.CSAT = &x
	}
	if c.Handoff != nil {
		x := *c.Handoff
		c.Handoff = &x
	}
	if c.ResolvedAt != nil {
		x := *c.ResolvedAt
		c.ResolvedAt = &x
	}
	return &c, nil
}

// save writes the conversation's state and status; the caller holds cv.mu.
func (s *Server) save(ctx context.Context, cv *conv) error {
	cv.settle()
	c, err := s.snapshot(cv)
	if err != nil {
		return err
	}
	return s.store.UpdateConversation(ctx, c)
}

// change runs fn on the conversation named in the path under its lock, then saves it.
func (s *Server) change(r *http.Request, fn func(cv *conv) error) error {
	cv, err := s.load(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	cv.mu.Lock()
	defer cv.mu.Unlock()
	if err := fn(cv); err != nil {
		return err
	}
	return s.save(r.Context(), cv)
}

func (s *Server) handleCSAT(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Score   int    `json:"score"`
		Comment string `json:"comment"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Score < 1 || req.Score > 5 {
		s.fail(w, r, errorf(http.StatusBadRequest, "invalid_score", "score must be an integer from 1 to 5"))
		return
	}
	csat := &store.CSAT{Score: req.Score, Comment: req.Comment, At: s.now()}
	if err := s.change(r, func(cv *conv) error { cv.c.CSAT = csat; return nil }); err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.csat.Observe(float64(req.Score))
	writeJSON(w, http.StatusOK, map[string]any{"csat": csat})
}
func (s *Server) handleHandoff(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Reason == "" {
		req.Reason = "requested through the API"
	}
	var h *store.Handoff
	err := s.change(r, func(cv *conv) error {
		pack, err := s.packs.Pack(cv.c.Pack)
		if err != nil {
			return err
		}
		s.startHandoff(cv, &dialogue.HandoffRequest{Reason: req.Reason, Summary: dialogue.Summary(cv.state, pack)})
		h = cv.c.Handoff
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"handoff": h})
}

// startHandoff puts a conversation in the human queue; the caller holds cv.mu and saves.
func (s *Server) startHandoff(cv *conv, h *dialogue.HandoffRequest) {
	cv.state.Handoff = true
	cv.c.Status = store.StatusHandoff
	cv.c.Handoff = &store.Handoff{Reason: h.Reason, Summary: h.Summary, At: s.now()}
	s.metrics.handoffs.Inc()
	s.hub.publish(cv.c.ID, dialogue.Event{Type: "handoff", Data: cv.c.Handoff})
}

func (s *Server) handleHandoffs(w http.ResponseWriter, r *http.Request) {
	cs, err := s.store.Conversations(r.Context(), store.Filter{Status: store.StatusHandoff, Limit: 500})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(cs))
	for _, c := range cs {
		out = append(out, map[string]any{"id": c.ID, "pack": c.Pack, "handoff": c.Handoff, "updated_at": c.UpdatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"handoffs": out})
}

func (s *Server) handleAgentReply(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Text  string `json:"text"`
		Agent string `json:"agent"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "empty_text", "text is required"))
		return
	}
	if req.Agent == "" {
		req.Agent = "agent"
	}
	var m *store.Message
	err := s.change(r, func(cv *conv) error {
		m = &store.Message{ID: newID("m_"), ConversationID: cv.c.ID, Role: store.RoleAgent, Text: req.Text, CreatedAt: s.now()}
		if _, err := s.store.AddMessage(r.Context(), m); err != nil {
			return err
		}
		if cv.c.Handoff != nil {
			cv.c.Handoff.Agent = req.Agent
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply := dialogue.Reply{Parts: []dialogue.Part{{Type: "text", Text: req.Text}}, Style: dialogue.DefaultStyle()}
	s.hub.publish(r.PathValue("id"), dialogue.Event{Type: "agent_reply", Data: map[string]any{"message_id": m.ID, "reply": reply}})
	writeJSON(w, http.StatusOK, map[string]any{"message_id": m.ID})
}
