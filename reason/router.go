package reason

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/store"
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
	// StateError says the shared budget or breaker could not be updated after the call.
	StateError string  `json:"state_error,omitempty"`
	Tokens     int     `json:"tokens,omitempty"`
	Cost       float64 `json:"cost,omitempty"`
}

// Router decides per turn whether the local reasoner's answer stands or the cloud is asked, and
// falls back to the local answer when the cloud fails or misses the deadline.
type Router struct {
	Local Reasoner
	// Cloud is optional; nil means local only.
	Cloud  Reasoner
	Budget Budget
	// State keeps each conversation's cloud use and the endpoint's circuit breaker; a store
	// shared by several nodes makes them enforce one budget and see one breaker. Nil keeps both
	// in this process.
	State store.CloudState
	// Endpoint names the cloud endpoint's breaker in State (default "cloud").
	Endpoint string
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

	once   sync.Once
	mem    *memState
	mu     sync.Mutex
	window time.Time
	used   int
	// breaker is the last state of the breaker this router read or wrote.
	breaker store.Breaker
}

var _ Reasoner = (*Router)(nil)

// ErrDeadline is the cloud call's error when it misses the router's deadline.
var ErrDeadline = errors.New("reason: cloud missed the deadline")

// stateTimeout bounds one call to the shared state, so a slow store cannot hold a turn.
const stateTimeout = 250 * time.Millisecond

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
	deadline := r.Deadline
	if deadline <= 0 {
		deadline = 800 * time.Millisecond
	}
	probe, why := r.admit(ctx, d.Conversation, deadline)
	if why != "" {
		d.Reason = why
		return local, lerr
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
	if serr := r.record(ctx, d.Conversation, probe, err, ans.Tokens, d.Cost); serr != nil {
		d.StateError = serr.Error()
	}
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

// state returns the shared state, or this process's own when none is set.
func (r *Router) state() store.CloudState {
	if r.State != nil {
		return r.State
	}
	r.once.Do(func() { r.mem = newMemState() })
	return r.mem
}

func (r *Router) endpoint() string {
	if r.Endpoint != "" {
		return r.Endpoint
	}
	return "cloud"
}

// admit reserves a cloud call, or says why not; probe reports that the call probes a half-open
// breaker. The breaker is asked first, so an open one spends no budget.
func (r *Router) admit(ctx context.Context, conv string, deadline time.Duration) (probe bool, why string) {
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	now := r.now()
	st, ep := r.state(), r.endpoint()
	b, err := st.CloudBreaker(ctx, ep)
	if err != nil {
		return false, "cloud state unavailable, local answer kept: " + err.Error()
	}
	r.setBreaker(b)
	if now.Before(b.OpenUntil) {
		return false, "cloud circuit breaker open"
	}
	if !b.OpenUntil.IsZero() {
		// Half-open: one caller, on any node, probes; the others see the breaker open meanwhile.
		until := now.Add(deadline + time.Second)
		ok, err := st.ClaimCloudProbe(ctx, ep, now, until)
		if err != nil {
			return false, "cloud state unavailable, local answer kept: " + err.Error()
		}
		if !ok {
			return false, "cloud circuit breaker half-open, a probe is in flight"
		}
		probe = true
		r.setBreaker(store.Breaker{Failures: b.Failures, OpenUntil: until})
	}
	bud := r.Budget
	r.mu.Lock()
	if now.Sub(r.window) >= time.Minute {
		r.window, r.used = now, 0
	}
	if bud.PerMinute > 0 && r.used >= bud.PerMinute {
		r.mu.Unlock()
		return probe, "cloud budget spent for this minute"
	}
	r.used++
	r.mu.Unlock()
	lim := store.CloudLimits{Calls: int64(bud.Calls), Tokens: int64(bud.Tokens), Money: bud.Money}
	use, ok, err := st.ReserveCloudCall(ctx, conv, lim)
	switch {
	case err != nil:
		return probe, "cloud state unavailable, local answer kept: " + err.Error()
	case ok:
		return probe, ""
	case lim.Calls > 0 && use.Calls >= lim.Calls:
		return probe, fmt.Sprintf("conversation's cloud budget spent: %d calls", use.Calls)
	case lim.Tokens > 0 && use.Tokens >= lim.Tokens:
		return probe, fmt.Sprintf("conversation's cloud budget spent: %d tokens", use.Tokens)
	}
	return probe, fmt.Sprintf("conversation's cloud budget spent: %.4f", use.Money)
}

// record adds the call's spend to the conversation and its outcome to the breaker.
func (r *Router) record(ctx context.Context, conv string, probe bool, callErr error, tokens int, cost float64) error {
	// The call's own deadline may have run out: the bookkeeping gets its own time.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stateTimeout)
	defer cancel()
	st, ep := r.state(), r.endpoint()
	var errs []error
	if tokens > 0 || cost > 0 {
		errs = append(errs, st.AddCloudSpend(ctx, conv, int64(tokens), cost))
	}
	if callErr == nil {
		r.mu.Lock()
		closed := r.breaker == (store.Breaker{})
		r.mu.Unlock()
		if !closed || probe {
			errs = append(errs, st.CloudSuccess(ctx, ep))
		}
		r.setBreaker(store.Breaker{})
		return errors.Join(errs...)
	}
	limit := r.BreakAfter
	if limit <= 0 {
		limit = 3
	}
	if probe {
		limit = 1
	}
	cool := r.Cooldown
	if cool <= 0 {
		cool = 30 * time.Second
	}
	b, err := st.CloudFailure(ctx, ep, limit, r.now().Add(cool))
	if err == nil {
		r.setBreaker(b)
	}
	return errors.Join(append(errs, err)...)
}

func (r *Router) setBreaker(b store.Breaker) {
	r.mu.Lock()
	r.breaker = b
	r.mu.Unlock()
}

// breakerState names the breaker as this router last saw it: closed, open or half-open.
func (r *Router) breakerState() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.breaker.OpenUntil.IsZero():
		return "closed"
	case r.now().Before(r.breaker.OpenUntil):
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
