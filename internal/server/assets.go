package server

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/live"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/store"
)

func (s *Server) handleBlob(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	rc, err := s.blobs.Open(r.Context(), hash)
	if err != nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such blob"))
		return
	}
	defer rc.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(rc, head)
	head = head[:n]
	ct := http.DetectContentType(head)
	if ct == "audio/wave" {
		ct = "audio/wav"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(head)
	io.Copy(w, rc)
}

func (s *Server) handlePacks(w http.ResponseWriter, r *http.Request) {
	var out []map[string]any
	for _, name := range s.packs.PackNames() {
		p, _ := s.packs.Pack(name)
		var flows []string
		for n := range p.Flows {
			flows = append(flows, n)
		}
		out = append(out, map[string]any{"name": p.Name, "title": p.Title, "greeting": p.Greeting, "flows": flows})
	}
	writeJSON(w, http.StatusOK, map[string]any{"packs": out, "default": s.cfg.DefaultPack})
}

func (s *Server) handleAsset(w http.ResponseWriter, r *http.Request) {
	p, err := s.packs.Pack(r.PathValue("pack"))
	if err != nil || p.Assets == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such pack"))
		return
	}
	name := r.PathValue("name")
	if !fs.ValidPath(name) || strings.Contains(name, "/") {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such asset"))
		return
	}
	data, err := fs.ReadFile(p.Assets, name)
	if err != nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such asset"))
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = http.DetectContentType(data)
	}
	w.Header().Set("Content-Type", ct)
	w.Write(data)
}

func (s *Server) handleArticle(w http.ResponseWriter, r *http.Request) {
	p, err := s.packs.Pack(r.PathValue("pack"))
	if err != nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such pack"))
		return
	}
	a, ok := p.Article(r.PathValue("id"))
	if !ok {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such article"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": a.ID, "title": a.Title, "body": a.Body})
}

// handleParts shows the parts-order page: the parts named in ?order=, with prices and a total.
func (s *Server) handleParts(w http.ResponseWriter, r *http.Request) {
	p, err := s.packs.Pack(r.PathValue("pack"))
	if err != nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such pack"))
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!doctype html><meta charset=utf-8><title>Order parts</title><h1>%s — order parts</h1><table>", html.EscapeString(p.Title))
	total := 0.0
	for _, n := range strings.Split(r.URL.Query().Get("order"), ",") {
		if pt, ok := p.Part(strings.TrimSpace(n)); ok {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>", html.EscapeString(pt.Number), html.EscapeString(pt.Name), dialogue.Money(pt.Price))
			total += pt.Price
		}
	}
	fmt.Fprintf(&b, "<tr><th colspan=2 align=left>Total</th><th>%s</th></tr></table>", dialogue.Money(total))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

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
	expect := cv.state.Expect
	cv.mu.Unlock()
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
