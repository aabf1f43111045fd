package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/logging"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/store"
)

// ConversationHeader carries the Parley conversation of a chat-completions request and answer.
const ConversationHeader = "X-Parley-Conversation"

// chatUsage is the usage object of a completion.
type chatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// chatExtension is Parley's addition to a completion: the conversation and the structured reply.
type chatExtension struct {
	ConversationID string         `json:"conversation_id"`
	MessageID      string         `json:"message_id"`
	Reply          dialogue.Reply `json:"reply"`
	Transcript     string         `json:"transcript,omitempty"`
}

// handleChatCompletions is POST /v1/chat/completions: the last user message is one Parley turn in
// the conversation named by the X-Parley-Conversation header, or kept per `user`, or a new one.
func (s *Server) handleChatCompletions(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	l := s.cfg.Limits
	r.Body = http.MaxBytesReader(w, r.Body, (l.ImageBytes+l.AudioBytes)*4/3+maxTextBytes*4)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.openaiFail(w, r, err)
		return
	}
	req, err := parseChatRequest(body)
	if err != nil {
		s.openaiFail(w, r, err)
		return
	}
	pack := strings.TrimPrefix(req.Model, "parley-")
	if _, err := s.packs.Pack(pack); err != nil {
		s.openaiFail(w, r, fmt.Errorf("%w: %q: GET /v1/models lists the packs", ErrUnknownModel, req.Model))
		return
	}
	items, err := s.chatItems(r.Context(), req.Messages[len(req.Messages)-1])
	if err != nil {
		s.openaiFail(w, r, err)
		return
	}
	id, err := s.chatConversation(r.Context(), pack, r.Header.Get(ConversationHeader), req.User)
	if err != nil {
		s.openaiFail(w, r, err)
		return
	}
	res, err := s.TurnDetail(r.Context(), id, items)
	if err != nil {
		s.openaiFail(w, r, err)
		return
	}
	s.metrics.turn.Observe(time.Since(start).Seconds())
	pieces := replyPieces(res.Reply)
	content := strings.Join(pieces, "\n\n")
	usage := chatUsage{PromptTokens: countTokens(res.Transcript), CompletionTokens: countTokens(content)}
	for _, it := range items {
		switch it.Kind {
		case media.Text:
			usage.PromptTokens += countTokens(it.Text)
		case media.Image:
			usage.PromptTokens += imageTokens
		}
	}
	usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
	ext := chatExtension{ConversationID: id, MessageID: res.MessageID, Reply: res.Reply, Transcript: res.Transcript}
	w.Header().Set(ConversationHeader, id)
	completion := "chatcmpl-" + strings.TrimPrefix(res.MessageID, "m_")
	created := s.now().Unix()
	if req.Stream {
		s.streamCompletion(w, completion, created, req.Model, pieces, usage, req.StreamOptions != nil && req.StreamOptions.IncludeUsage, ext)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": completion, "object": "chat.completion", "created": created, "model": req.Model,
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop", "logprobs": nil,
			"message": map[string]any{"role": "assistant", "content": content, "refusal": nil},
		}},
		"usage": usage, "parley": ext,
	})
}

// streamCompletion writes the reply as server-sent chat.completion.chunk events: the role, one
// chunk per reply piece, the finish reason, the usage when asked, then [DONE].
func (s *Server) streamCompletion(w http.ResponseWriter, id string, created int64, model string, pieces []string, usage chatUsage, withUsage bool, ext chatExtension) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if fl != nil {
			fl.Flush()
		}
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": nil}},
		}
	}
	send(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	for i, p := range pieces {
		if i > 0 {
			p = "\n\n" + p
		}
		send(chunk(map[string]any{"content": p}, nil))
	}
	last := chunk(map[string]any{}, "stop")
	last["parley"] = ext
	send(last)
	if withUsage {
		send(map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": []any{}, "usage": usage})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

// replyPieces renders a reply as text: text parts as they are, links and images as Markdown.
func replyPieces(r dialogue.Reply) []string {
	var out []string
	for _, p := range r.Parts {
		switch {
		case p.Type == "text" && strings.TrimSpace(p.Text) != "":
			out = append(out, p.Text)
		case p.Type == "link" && p.URL != "":
			out = append(out, fmt.Sprintf("[%s](%s)", markdownText(p.Title, "link"), p.URL))
		case p.Type == "image" && p.URL != "":
			out = append(out, fmt.Sprintf("![%s](%s)", markdownText(p.Title, "image"), p.URL))
		case p.Type == "document" && p.URL != "":
			out = append(out, fmt.Sprintf("[%s](%s)", markdownText(p.Title, "document"), p.URL))
		}
	}
	return out
}

func markdownText(s, fallback string) string {
	if s = strings.TrimSpace(s); s == "" {
		return fallback
	}
	return strings.NewReplacer("[", "(", "]", ")").Replace(s)
}

// chatConversation finds the request's conversation: the one the header names, the one kept for
// this user and pack (its ID derived from both, so it survives restarts), or a new one.
func (s *Server) chatConversation(ctx context.Context, pack, header, user string) (string, error) {
	if header != "" {
		cv, err := s.load(ctx, header)
		if err != nil {
			return "", err
		}
		if cv.Conv.Pack != pack {
			return "", errorf(http.StatusBadRequest, "model_mismatch", fmt.Sprintf("conversation %s talks to model %s, not %s", header, cv.Conv.Pack, pack))
		}
		return header, nil
	}
	if user == "" {
		return s.createConversation(ctx, newID("c_"), pack)
	}
	key := pack + "\x00" + user
	if t := store.TenantOf(ctx); t != store.DefaultTenant {
		key = t + "\x00" + key // another tenant's user of the same name is another person
	}
	sum := sha256.Sum256([]byte(key))
	id := "c_u" + hex.EncodeToString(sum[:12])
	if _, err := s.load(ctx, id); err == nil {
		return id, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if _, err := s.createConversation(ctx, id, pack); err != nil {
		// Another request for the same user may have created it first.
		if _, lerr := s.load(ctx, id); lerr == nil {
			return id, nil
		}
		return "", err
	}
	return id, nil
}

// createConversation stores a new conversation with the given ID.
func (s *Server) createConversation(ctx context.Context, id, pack string) (string, error) {
	if _, err := s.conv.Create(ctx, id, pack); err != nil {
		return "", err
	}
	return id, nil
}

// handleModels is GET /v1/models: every pack is a model.
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	var data []any
	for _, name := range s.packs.PackNames() {
		data = append(data, s.model(name))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// handleModel is GET /v1/models/{model}.
func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.PathValue("model"), "parley-")
	if _, err := s.packs.Pack(name); err != nil {
		s.openaiFail(w, r, fmt.Errorf("%w: %q", ErrUnknownModel, r.PathValue("model")))
		return
	}
	writeJSON(w, http.StatusOK, s.model(name))
}

func (s *Server) model(name string) map[string]any {
	p, _ := s.packs.Pack(name)
	return map[string]any{"id": name, "object": "model", "created": 0, "owned_by": "parley", "title": p.Title}
}

// openaiFail writes an error in the OpenAI shape {error:{message,type,param,code}}, with the
// request's id added as request_id, as the standard error body carries it.
func (s *Server) openaiFail(w http.ResponseWriter, r *http.Request, err error) {
	ae := openaiError(err)
	id := requestID(w, r)
	if ae.status >= 500 {
		ctx := logging.WithRequestID(r.Context(), id)
		s.log.ErrorContext(ctx, "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	typ := "invalid_request_error"
	switch {
	case ae.status == http.StatusUnauthorized:
		typ = "authentication_error"
	case ae.status == http.StatusNotFound:
		typ = "not_found_error"
	case ae.status >= 500:
		typ = "server_error"
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]any{"message": ae.msg, "type": typ, "param": nil, "code": ae.code, "request_id": id}})
}

// openaiError maps the endpoint's sentinel errors, then the server's, to statuses.
func openaiError(err error) *apiError {
	switch {
	case errors.Is(err, ErrImageURLRefused):
		return errorf(http.StatusBadRequest, "image_url_not_allowed", err.Error())
	case errors.Is(err, ErrNoUserMessage):
		return errorf(http.StatusBadRequest, "invalid_messages", err.Error())
	case errors.Is(err, ErrBadPart):
		return errorf(http.StatusBadRequest, "invalid_content", err.Error())
	case errors.Is(err, ErrUnknownModel):
		return errorf(http.StatusNotFound, "model_not_found", err.Error())
	}
	return classify(err)
}
