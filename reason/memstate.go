package reason

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/parleyhq/parley/store"
)

// memState is a Router's own cloud state when it shares none: budgets and breakers in memory,
// conversations idle for a day forgotten once there are many.
type memState struct {
	mu       sync.Mutex
	convs    map[string]*memUse
	breakers map[string]store.Breaker
}

type memUse struct {
	store.CloudUsage
	last time.Time
}

var _ store.CloudState = (*memState)(nil)

func newMemState() *memState {
	return &memState{convs: map[string]*memUse{}, breakers: map[string]store.Breaker{}}
}

// use returns the conversation's use; the caller holds mu.
func (m *memState) use(conv string) *memUse {
	now := time.Now()
	if len(m.convs) > 100000 {
		for k, v := range m.convs {
			if now.Sub(v.last) > 24*time.Hour {
				delete(m.convs, k)
			}
		}
	}
	u := m.convs[conv]
	if u == nil {
		u = &memUse{}
		m.convs[conv] = u
	}
	u.last = now
	return u
}

func (m *memState) ReserveCloudCall(_ context.Context, conv string, lim store.CloudLimits) (store.CloudUsage, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.use(conv)
	before := u.CloudUsage
	if !lim.Allows(before) {
		return before, false, nil
	}
	u.Calls++
	return before, true, nil
}

func (m *memState) AddCloudSpend(_ context.Context, conv string, tokens int64, money float64) error {
	if tokens < 0 || !(money >= 0) {
		return fmt.Errorf("reason: cloud spend %d tokens %v: %w", tokens, money, store.ErrBadValue)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.use(conv)
	u.Tokens += tokens
	u.Money += money
	return nil
}

func (m *memState) CloudBreaker(_ context.Context, ep string) (store.Breaker, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.breakers[ep], nil
}

func (m *memState) ClaimCloudProbe(_ context.Context, ep string, now, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.breakers[ep]
	if b.OpenUntil.IsZero() || b.OpenUntil.After(now) {
		return false, nil
	}
	b.OpenUntil = until
	m.breakers[ep] = b
	return true, nil
}

func (m *memState) CloudFailure(_ context.Context, ep string, breakAfter int, openUntil time.Time) (store.Breaker, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.breakers[ep]
	b.Failures++
	if b.Failures >= max(1, breakAfter) {
		b.Failures, b.OpenUntil = 0, openUntil
	}
	m.breakers[ep] = b
	return b, nil
}

func (m *memState) CloudSuccess(_ context.Context, ep string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.breakers, ep)
	return nil
}
