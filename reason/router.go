package reason

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Budget limits what the cloud may cost. Zero fields are unlimited.
type Budget struct {
	// Calls, Tokens and Money bound one conversation's cloud use; Money is counted at
	// PricePerKToken per thousand tokens.
	Calls          int     `json:"calls,omitempty"`
	Tokens         int     `json:"tokens,omitempty"`
	Money          float64 `json:"money,omitempty"`
	PricePerKToken float64 `json:"price_per_k_token,omitempty"`
	// PerMinute bounds calls across all conversations.
	PerMinute int `json:"per_minute,omitempty"`
}

// Decision is the router's record of one turn: who answered and why.
type Decision struct {
	Conversation     string    `json:"conversation,omitempty"`
	At               time.Time `json:"at"`
	Route            string    `json:"route"` // local or cloud
	Reason           string    `json:"reason"`
	Coverage         float64   `json:"coverage"`
	Complexity       float64   `json:"complexity"`
	IntentConfidence float64   `json:"intent_confidence,omitempty"`
	Breaker          string    `json:"breaker"` // closed, open or half-open
	CloudTried       bool      `json:"cloud_tried"`
	CloudError       string    `json:"cloud_error,omitempty"`
	CloudMillis      float64   `json:"cloud_ms,omitempty"`
	Tokens           int       `json:"tokens,omitempty"`
	Cost             float64   `json:"cost,omitempty"`
}

// Router decides per turn whether the local reasoner's answer stands or the cloud is asked, and
// falls back to the local answer when the cloud fails or misses the deadline.
type Router struct {
	Local Reasoner
	// Cloud is optional; nil means local only.
	Cloud  Reasoner
	Budget Budget
	// Deadline bounds a cloud call, so a turn with a hanging endpoint still answers in time
	// (default 800ms).
	Deadline time.Duration
	// BreakAfter consecutive failures open the breaker for Cooldown; then one call probes.
	BreakAfter int
	Cooldown   time.Duration
	// MinComplexity is the complexity below which a question stays local (default 0.3).
	MinComplexity float64
	// IntentThreshold: a turn whose intent is at least this confident stays local (default 0.85).
	IntentThreshold float64
	Now             func() time.Time
	// Record is given every decision, for the evidence trail.
	Record func(Decision)

	mu        sync.Mutex
	window    time.Time
	used      int
	failures  int
	openUntil time.Time
	probing   bool
	convs     map[string]*spent
}

// spent is one conversation's cloud use.
type spent struct {
	calls, tokens int
	money         float64
	last          time.Time
}

var _ Reasoner = (*Router)(nil)

// ErrDeadline is the cloud call's error when it misses the router's deadline.
var ErrDeadline = errors.New("reason: cloud missed the deadline")

// Respond routes the query and records the decision in Answer.Route and Answer.Decision.
func (r *Router) Respond(ctx context.Context, q Query) (Answer, error) {
	d := Decision{Conversation: conversationOf(ctx, q), At: r.now(), Route: "local", Complexity: Complexity(q.Text), IntentConfidence: q.IntentConfidence}
	local, lerr := r.Local.Respond(ctx, q)
	d.Coverage = local.Score
	local.By = "local"
	ans, err := r.route(ctx, q, &d, local, lerr)
	d.Breaker = r.breakerState()
	ans.Route = d.Route + ": " + d.Reason
	ans.Decision = &d
	if r.Record != nil {
		r.Record(d)
	}
	return ans, err
}

func (r *Router) route(ctx context.Context, q Query, d *Decision, local Answer, lerr error) (Answer, error) {
	minC, intent := r.MinComplexity, r.IntentThreshold
	if minC == 0 {
		minC = 0.3
	}
	if intent == 0 {
		intent = 0.85
	}
	switch {
	case lerr == nil && local.Confident:
		d.Reason = fmt.Sprintf("confident retrieval (coverage %.2f)", local.Score)
		return local, nil
	case q.FlowCovers:
		d.Reason = "a flow covers the turn"
		return local, lerr
	case q.IntentConfidence >= intent:
		d.Reason = fmt.Sprintf("intent recognised with confidence %.2f", q.IntentConfidence)
		return local, lerr
	case r.Cloud == nil:
		d.Reason = "no cloud model configured"
		return local, lerr
	case d.Complexity < minC:
		d.Reason = fmt.Sprintf("simple question (complexity %.2f)", d.Complexity)
		return local, lerr
	}
	if why := r.admit(d.Conversation); why != "" {
		d.Reason = why
		return local, lerr
	}
	deadline := r.Deadline
	if deadline <= 0 {
		deadline = 800 * time.Millisecond
	}
	cctx, cancel := context.WithTimeoutCause(ctx, deadline, ErrDeadline)
	defer cancel()
	d.CloudTried = true
	start := time.Now()
	ans, err := r.Cloud.Respond(cctx, q)
	if err != nil && cctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", context.Cause(cctx), deadline)
	}
	d.CloudMillis = float64(time.Since(start).Microseconds()) / 1000
	d.Tokens = ans.Tokens
	d.Cost = float64(ans.Tokens) / 1000 * r.Budget.PricePerKToken
	r.record(d.Conversation, err, ans.Tokens, d.Cost)
	if err != nil {
		d.CloudError = err.Error()
		d.Reason = "cloud failed, local answer kept: " + err.Error()
		if lerr != nil {
			return local, errors.Join(lerr, err)
		}
		return local, nil
	}
	d.Route = "cloud"
	d.Reason = fmt.Sprintf("local retrieval not confident (coverage %.2f), complexity %.2f", local.Score, d.Complexity)
	ans.Source, ans.SourceID = "", ""
	return ans, nil
}

func (r *Router) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// admit reserves a cloud call, or says why not.
func (r *Router) admit(conv string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Before(r.openUntil) {
		return "cloud circuit breaker open"
	}
	if !r.openUntil.IsZero() {
		if r.probing {
			return "cloud circuit breaker half-open, a probe is in flight"
		}
		r.probing = true
	}
	b := r.Budget
	if now.Sub(r.window) >= time.Minute {
		r.window, r.used = now, 0
	}
	if b.PerMinute > 0 && r.used >= b.PerMinute {
		r.probing = false
		return "cloud budget spent for this minute"
	}
	sp := r.spentBy(conv, now)
	switch {
	case b.Calls > 0 && sp.calls >= b.Calls:
		r.probing = false
		return fmt.Sprintf("conversation's cloud budget spent: %d calls", sp.calls)
	case b.Tokens > 0 && sp.tokens >= b.Tokens:
		r.probing = false
		return fmt.Sprintf("conversation's cloud budget spent: %d tokens", sp.tokens)
	case b.Money > 0 && sp.money >= b.Money:
		r.probing = false
		return fmt.Sprintf("conversation's cloud budget spent: %.4f", sp.money)
	}
	r.used++
	sp.calls++
	return ""
}

// spentBy returns the conversation's use, forgetting conversations idle for a day; the caller holds mu.
func (r *Router) spentBy(conv string, now time.Time) *spent {
	if r.convs == nil {
		r.convs = map[string]*spent{}
	}
	if len(r.convs) > 100000 {
		for k, v := range r.convs {
			if now.Sub(v.last) > 24*time.Hour {
				delete(r.convs, k)
			}
		}
	}
	sp := r.convs[conv]
	if sp == nil {
		sp = &spent{}
		r.convs[conv] = sp
	}
	sp.last = now
	return sp
}

func (r *Router) record(conv string, err error, tokens int, cost float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sp := r.spentBy(conv, r.now())
	sp.tokens += tokens
	sp.money += cost
	probe := r.probing
	r.probing = false
	if err == nil {
		r.failures = 0
		r.openUntil = time.Time{}
		return
	}
	r.failures++
	limit := r.BreakAfter
	if limit <= 0 {
		limit = 3
	}
	if probe || r.failures >= limit {
		cool := r.Cooldown
		if cool <= 0 {
			cool = 30 * time.Second
		}
		r.openUntil = r.now().Add(cool)
		r.failures = 0
	}
}

func (r *Router) breakerState() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.openUntil.IsZero():
		return "closed"
	case r.now().Before(r.openUntil):
		return "open"
	}
	return "half-open"
}

// reasoningWords mark a question that asks for explanation or judgement rather than a fact.
var reasoningWords = []string{"why", "explain", "compare", "difference", "should", "recommend", "what if", "how come", "better", "best", "pros", "cons", "advice", "understand"}

// Complexity scores how much reasoning a question needs, in [0, 1]: its length, words asking for
// explanation or judgement, and several clauses.
func Complexity(text string) float64 {
	t := strings.ToLower(text)
	words := len(strings.Fields(t))
	c := min(float64(words)/20, 0.5)
	for _, w := range reasoningWords {
		if strings.Contains(" "+t+" ", " "+w+" ") || strings.Contains(" "+t, " "+w) && len(w) > 5 {
			c += 0.3
			break
		}
	}
	clauses := strings.Count(t, "?") + strings.Count(t, " because ") + strings.Count(t, " but ") + strings.Count(t, ", ")
	if clauses > 1 {
		c += 0.2
	}
	return min(c, 1)
}
