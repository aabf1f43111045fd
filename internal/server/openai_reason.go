package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/parleyhq/parley/reason"
)

// router builds the reasoner: the local one, and the cloud one through the OpenAI SDK when an
// endpoint is configured, with the budgets, deadline and breaker of cloud:; every decision is
// appended to the data directory's decisions.jsonl.
func (s *Server) router() reason.Reasoner {
	c := s.cfg.Cloud
	local := reason.NewLocal(s.packs)
	r := &reason.Router{
		Local: local, Deadline: c.Deadline, BreakAfter: c.BreakAfter, Cooldown: c.Cooldown,
		Budget: reason.Budget{PerMinute: c.Budget, Calls: c.Calls, Tokens: c.Tokens, Money: c.Money, PricePerKToken: c.PricePerKToken},
	}
	if c.BaseURL != "" {
		r.Cloud = &reason.OpenAI{BaseURL: c.BaseURL, Model: c.Model, APIKey: os.Getenv(c.APIKeyEnv), Stream: c.Stream,
			Tools: &reason.Tools{Local: local, Packs: s.packs}}
	}
	log := &decisionLog{path: decisionsPath(s.cfg.DataDir)}
	r.Record = func(d reason.Decision) {
		if err := log.append(d); err != nil {
			s.log.Warn("routing decision not stored", "err", err)
		}
	}
	return r
}

func decisionsPath(dataDir string) string { return filepath.Join(dataDir, "decisions.jsonl") }

// decisionLog appends routing decisions as JSON lines.
type decisionLog struct {
	mu   sync.Mutex
	path string
}

func (l *decisionLog) append(d reason.Decision) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	return errors.Join(err, f.Close())
}

// handleDecisions is GET /v1/conversations/{id}/decisions: the router's decisions for the
// conversation, oldest first, each with its reason.
func (s *Server) handleDecisions(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.load(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	out := []reason.Decision{}
	f, err := os.Open(decisionsPath(s.cfg.DataDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.fail(w, r, err)
		return
	}
	if f != nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var d reason.Decision
			if json.Unmarshal(sc.Bytes(), &d) == nil && d.Conversation == id {
				out = append(out, d)
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"decisions": out})
}
