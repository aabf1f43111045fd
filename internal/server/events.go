package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/parleyhq/parley/dialogue"
)

// hub fans conversation events out to Server-Sent Events subscribers.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan dialogue.Event]struct{}
}

func newHub() *hub { return &hub{subs: map[string]map[chan dialogue.Event]struct{}{}} }

func (h *hub) subscribe(conv string) (chan dialogue.Event, func()) {
	ch := make(chan dialogue.Event, 256)
	h.mu.Lock()
	if h.subs[conv] == nil {
		h.subs[conv] = map[chan dialogue.Event]struct{}{}
	}
	h.subs[conv][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[conv], ch)
		if len(h.subs[conv]) == 0 {
			delete(h.subs, conv)
		}
		h.mu.Unlock()
	}
}

// following reports whether anyone here subscribes to the conversation's events.
func (h *hub) following(conv string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[conv]) > 0
}

// publish never blocks: a subscriber that cannot keep up misses events, not the conversation.
func (h *hub) publish(conv string, evs ...dialogue.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[conv] {
		for _, ev := range evs {
			select {
			case ch <- ev:
			default:
			}
		}
	}
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.store.Conversation(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		s.fail(w, r, errorf(http.StatusInternalServerError, "no_streaming", "streaming unsupported"))
		return
	}
	ch, cancel := s.hub.subscribe(id)
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "event: ready\ndata: {\"conversation\":%q}\n\n", id)
	fl.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			fl.Flush()
		case ev := <-ch:
			data, err := json.Marshal(ev.Data)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
			fl.Flush()
		}
	}
}
