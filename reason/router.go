package reason

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Router tries the local reasoner first and asks the cloud only when local is not confident, the
// budget allows and the breaker is closed. A cloud failure falls back to the local answer.
type Router struct {
	Local Reasoner
	// Cloud is optional; nil means local only.
	Cloud Reasoner
	// Budget is the number of cloud calls allowed per minute (0: unlimited).
	Budget int
	// BreakAfter consecutive failures open the breaker for Cooldown.
	BreakAfter int
	Cooldown   time.Duration
	Now        func() time.Time

	mu        sync.Mutex
	window    time.Time
	used      int
	failures  int
	openUntil time.Time
}

var _ Reasoner = (*Router)(nil)

// Respond routes the query and records the decision in Answer.Route.
func (r *Router) Respond(ctx context.Context, q Query) (Answer, error) {
	local, lerr := r.Local.Respond(ctx, q)
	if lerr == nil && local.Confident {
		local.Route = "local: confident retrieval"
		return local, nil
	}
	if r.Cloud == nil {
		local.Route = "local: no cloud model configured"
		return local, lerr
	}
	if why := r.admit(); why != "" {
		local.Route = "local: " + why
		return local, lerr
	}
	ans, err := r.Cloud.Respond(ctx, q)
	r.record(err)
	if err != nil {
		local.Route = "local: cloud failed: " + err.Error()
		if lerr != nil {
			return local, errors.Join(lerr, err)
		}
		return local, nil
	}
	ans.Route = "cloud: local retrieval not confident"
	if lerr == nil {
		ans.Source, ans.SourceID = "", ""
	}
	return ans, nil
}

func (r *Router) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// admit reserves a cloud call, or says why not.
func (r *Router) admit() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Before(r.openUntil) {
		return "cloud circuit breaker open"
	}
	if now.Sub(r.window) >= time.Minute {
		r.window, r.used = now, 0
	}
	if r.Budget > 0 && r.used >= r.Budget {
		return "cloud budget spent for this minute"
	}
	r.used++
	return ""
}

func (r *Router) record(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.failures = 0
		return
	}
	r.failures++
	limit := r.BreakAfter
	if limit <= 0 {
		limit = 3
	}
	if r.failures >= limit {
		cool := r.Cooldown
		if cool <= 0 {
			cool = 30 * time.Second
		}
		r.openUntil = r.now().Add(cool)
		r.failures = 0
	}
}
