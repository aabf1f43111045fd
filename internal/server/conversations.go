package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/conversation"
	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/web"
)

func webHandler() http.Handler { return web.Handler() }

// load reads a conversation and its state from the store; another tenant's is not found.
func (s *Server) load(ctx context.Context, id string) (*conversation.Snapshot, error) {
	cv, err := s.conv.Load(ctx, id)
	if err == nil && cv.Conv.Tenant != principalOf(ctx).Tenant {
		return nil, fmt.Errorf("conversation %q: %w", id, store.ErrNotFound)
	}
	return cv, err
}

// scopeOf is the tenant whose conversations a listing of the request may show: every one when the
// API is open (only the default tenant exists then), else the caller's.
func scopeOf(ctx context.Context) string {
	if p := principalOf(ctx); p.Kind != kindOpen {
		return p.Tenant
	}
	return ""
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
	if t := principalOf(r.Context()).Tenant; !s.cfg.Tenants.AllowsPack(t, req.Pack) {
		s.fail(w, r, errorf(http.StatusBadRequest, "unknown_pack", fmt.Sprintf("pack %q is not offered to tenant %s", req.Pack, t)))
		return
	}
	c, err := s.conv.Create(r.Context(), newID("c_"), req.Pack)
	if err != nil {
		s.fail(w, r, err)
		return
	}
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
	view := conversationView{Conversation: cv.Conv, State: cv.State}
	msgs, err := s.store.Messages(r.Context(), cv.Conv.ID)
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

// change runs fn on the conversation named in the path and saves it; fn runs again on fresh
// state when another node saved first.
func (s *Server) change(r *http.Request, fn func(ch *conversation.Change) error) error {
	return s.conv.Update(r.Context(), r.PathValue("id"), fn)
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
	if err := s.change(r, func(ch *conversation.Change) error { ch.Conv.CSAT = csat; return nil }); err != nil {
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
	err := s.change(r, func(ch *conversation.Change) error {
		pack, err := s.packs.Pack(ch.Conv.Pack)
		if err != nil {
			return err
		}
		s.conv.StartHandoff(ch, &dialogue.HandoffRequest{Reason: req.Reason, Summary: dialogue.Summary(ch.State, pack)})
		x := *ch.Conv.Handoff
		h = &x
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"handoff": h})
}

func (s *Server) handleHandoffs(w http.ResponseWriter, r *http.Request) {
	cs, err := s.store.Conversations(r.Context(), store.Filter{Tenant: scopeOf(r.Context()), Status: store.StatusHandoff, Limit: 500})
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
	if u := principalOf(r.Context()).User; u != nil {
		req.Agent = u.Email // a signed-in agent answers under their own name
	}
	if req.Agent == "" {
		req.Agent = "agent"
	}
	id := r.PathValue("id")
	if _, err := s.load(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	m := &store.Message{ID: newID("m_"), ConversationID: id, Role: store.RoleAgent, Text: req.Text, CreatedAt: s.now()}
	if _, err := s.store.AddMessage(r.Context(), m); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.change(r, func(ch *conversation.Change) error {
		if ch.Conv.Handoff != nil {
			ch.Conv.Handoff.Agent = req.Agent
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply := dialogue.Reply{Parts: []dialogue.Part{{Type: "text", Text: req.Text}}, Style: dialogue.DefaultStyle()}
	s.publish(r.PathValue("id"), dialogue.Event{Type: "agent_reply", Data: map[string]any{"message_id": m.ID, "reply": reply}})
	writeJSON(w, http.StatusOK, map[string]any{"message_id": m.ID})
}
