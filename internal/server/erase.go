package server

import (
	"fmt"
	"net/http"

	"github.com/parleyhq/parley/store"
)

// handleErase is DELETE /v1/conversations/{id} (secret key or admin): the customer's conversation
// is removed everywhere, its messages, stage results, edge counters and the blobs no other
// conversation references, and the audit trail records who did it.
func (s *Server) handleErase(w http.ResponseWriter, r *http.Request) {
	ret, ok := s.store.(store.Retention)
	if !ok {
		s.fail(w, r, errorf(http.StatusNotImplemented, "not_implemented", "this store backend cannot erase conversations"))
		return
	}
	id := r.PathValue("id")
	if _, err := s.load(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := store.Erase(r.Context(), ret, s.blobs, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalOf(r.Context())
	if err := s.audit(r.Context(), p, "erase", id, fmt.Sprintf("%d blobs deleted", n)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "conversation erased", "conversation", id, "by", p.actor(), "blobs", n)
	writeJSON(w, http.StatusOK, map[string]any{"erased": id, "blobs_deleted": n})
}
