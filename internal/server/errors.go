package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/parleyhq/parley/conversation"
	"github.com/parleyhq/parley/internal/logging"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/store"
)

// apiError is an error with the HTTP status and code a client sees.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, code, msg string) *apiError { return &apiError{status, code, msg} }

// classify maps an internal error to what the client sees; only here do errors become statuses.
func classify(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "not_found", "no such conversation")
	case errors.Is(err, conversation.ErrContended), errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "conflict", "the conversation kept changing on other nodes; send the message again with the same Idempotency-Key")
	case errors.Is(err, kb.ErrUnknownPack):
		return errorf(http.StatusBadRequest, "unknown_pack", err.Error())
	case errors.Is(err, media.ErrTooLarge), errors.Is(err, store.ErrTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "too_large", err.Error())
	case errors.Is(err, media.ErrUnsupported):
		return errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", err.Error())
	case errors.Is(err, media.ErrCorrupt), errors.Is(err, media.ErrEmpty):
		return errorf(http.StatusUnprocessableEntity, "unreadable_media", err.Error())
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "request body too large")
	}
	return errorf(http.StatusInternalServerError, "internal", "something went wrong on our side; please try again")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers err as the standard JSON error body, with the request's id so that a client's
// report can be matched to the server's log lines.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err)
	id := requestID(w, r)
	if ae.status >= 500 {
		ctx := logging.WithRequestID(r.Context(), id)
		s.log.ErrorContext(ctx, "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]string{"code": ae.code, "message": ae.msg, "request_id": id}})
}

// requestID is the id the guard gave the request; without the guard in front (tests, embedding)
// one is made here and sent in X-Request-Id.
func requestID(w http.ResponseWriter, r *http.Request) string {
	if id := logging.RequestID(r.Context()); id != "" {
		return id
	}
	if id := w.Header().Get("X-Request-Id"); id != "" {
		return id
	}
	id := logging.NewRequestID()
	w.Header().Set("X-Request-Id", id)
	return id
}
