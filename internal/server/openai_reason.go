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
	"github.com/parleyhq/parley/store"
)

// router builds the reasoner: the local one, and the cloud one through the OpenAI SDK when an
// endpoint is configured, with the budgets, deadline and breaker of cloud: kept in the store;
// every decision is appended to the data directory's decisions.jsonl, which rotates at
// maxDecisionLog bytes (the previous file is kept as decisions.jsonl.1).
func (s *Server) router() reason.Reasoner {
	c := s.cfg.Cloud
	local := reason.NewLocal(s.packs)
	r := &reason.Router{
		Local: local, Deadline: c.Deadline, BreakAfter: c.BreakAfter, Cooldown: c.Cooldown,
		Budget:   reason.Budget{PerMinute: c.Budget, Calls: c.Calls, Tokens: c.Tokens, Money: c.Money, PricePerKToken: c.PricePerKToken},
		Endpoint: c.BaseURL,
	}
	// A store that keeps cloud state makes every node sharing it enforce one budget and breaker.
	if cs, ok := s.store.(store.CloudState); ok {
		r.State = cs
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

// maxDecisionLog is the size at which the decision log starts a new file.
const maxDecisionLog = 8 << 20

// decisionLog appends routing decisions as JSON lines, keeping at most two files of about
// max bytes each.
type decisionLog struct {
	mu   sync.Mutex
	path string
	max  int64
}

func (l *decisionLog) append(d reason.Decision) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	limit := l.max
	if limit <= 0 {
		limit = maxDecisionLog
	}
	if st, err := os.Stat(l.path); err == nil && st.Size()+int64(len(b)) >= limit {
		if err := os.Rename(l.path, l.path+".1"); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	return errors.Join(err, f.Close())
}

// read returns the decisions of one conversation, oldest first, from both files.
func (l *decisionLog) read(conv string) ([]reason.Decision, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []reason.Decision{}
	for _, path := range []string{l.path + ".1", l.path} {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var d reason.Decision
			if json.Unmarshal(sc.Bytes(), &d) == nil && d.Conversation == conv {
				out = append(out, d)
			}
		}
		err = errors.Join(sc.Err(), f.Close())
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// handleDecisions is GET /v1/conversations/{id}/decisions: the router's decisions for the
// conversation, oldest first, each with its reason.
func (s *Server) handleDecisions(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.load(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := (&decisionLog{path: decisionsPath(s.cfg.DataDir)}).read(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"decisions": out})
}
