package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/store"
)

// testCloudState checks store.CloudState: a budget of calls is never exceeded by concurrent
// callers, tokens and money stop further calls, and the breaker opens, lets exactly one caller
// probe when half-open, and closes on success; all of it survives a restart.
func testCloudState(t *testing.T, open func(t *testing.T) store.Store) {
	top := t
	s := open(t)
	c, ok := s.(store.CloudState)
	if !ok {
		t.Fatalf("%T does not implement store.CloudState", s)
	}
	ctx := context.Background()
	t.Run("calls", func(t *testing.T) {
		var admitted atomic.Int32
		var wg sync.WaitGroup
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := c.ReserveCloudCall(ctx, "c_budget", store.CloudLimits{Calls: 5})
				if err != nil {
					t.Error(err)
				}
				if ok {
					admitted.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := admitted.Load(); n != 5 {
			t.Fatalf("%d calls admitted under a budget of 5", n)
		}
		use, ok, err := c.ReserveCloudCall(ctx, "c_budget", store.CloudLimits{Calls: 5})
		if err != nil || ok || use.Calls != 5 {
			t.Fatalf("sixth call: %+v %v %v", use, ok, err)
		}
		if _, ok, _ := c.ReserveCloudCall(ctx, "c_other", store.CloudLimits{Calls: 5}); !ok {
			t.Fatal("another conversation's budget is shared")
		}
	})
	t.Run("tokens and money", func(t *testing.T) {
		lim := store.CloudLimits{Tokens: 100, Money: 0.5}
		if _, ok, err := c.ReserveCloudCall(ctx, "c_tokens", lim); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if err := c.AddCloudSpend(ctx, "c_tokens", 60, 0.1); err != nil {
			t.Fatal(err)
		}
		if use, ok, err := c.ReserveCloudCall(ctx, "c_tokens", lim); !ok || err != nil || use.Tokens != 60 || use.Calls != 1 {
			t.Fatalf("under the budget: %+v %v %v", use, ok, err)
		}
		if err := c.AddCloudSpend(ctx, "c_tokens", 50, 0.1); err != nil {
			t.Fatal(err)
		}
		if use, ok, err := c.ReserveCloudCall(ctx, "c_tokens", lim); ok || err != nil || use.Tokens != 110 {
			t.Fatalf("tokens spent: %+v %v %v", use, ok, err)
		}
		if err := c.AddCloudSpend(ctx, "c_money", 0, 0.6); err != nil {
			t.Fatal(err)
		}
		if use, ok, _ := c.ReserveCloudCall(ctx, "c_money", lim); ok || use.Money < 0.59 {
			t.Fatalf("money spent: %+v %v", use, ok)
		}
		if err := c.AddCloudSpend(ctx, "c_tokens", -1, 0); !errors.Is(err, store.ErrBadValue) {
			t.Fatalf("negative tokens: %v", err)
		}
	})
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	t.Run("breaker", func(t *testing.T) {
		const ep = "http://cloud.test/v1"
		if b, err := c.CloudBreaker(ctx, ep); err != nil || b != (store.Breaker{}) {
			t.Fatalf("fresh breaker %+v %v", b, err)
		}
		for i := 1; i <= 2; i++ {
			if b, err := c.CloudFailure(ctx, ep, 3, now.Add(30*time.Second)); err != nil || b.Failures != i || !b.OpenUntil.IsZero() {
				t.Fatalf("failure %d: %+v %v", i, b, err)
			}
		}
		b, err := c.CloudFailure(ctx, ep, 3, now.Add(30*time.Second))
		if err != nil || b.Failures != 0 || !b.OpenUntil.Equal(now.Add(30*time.Second)) {
			t.Fatalf("third failure: %+v %v", b, err)
		}
		if ok, err := c.ClaimCloudProbe(ctx, ep, now.Add(10*time.Second), now.Add(11*time.Second)); ok || err != nil {
			t.Fatalf("probe claimed while open: %v %v", ok, err)
		}
		var claimed atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := c.ClaimCloudProbe(ctx, ep, now.Add(31*time.Second), now.Add(32*time.Second))
				if err != nil {
					t.Error(err)
				}
				if ok {
					claimed.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := claimed.Load(); n != 1 {
			t.Fatalf("%d callers probe a half-open breaker, want 1", n)
		}
		if b, _ := c.CloudBreaker(ctx, ep); !b.OpenUntil.Equal(now.Add(32 * time.Second)) {
			t.Fatalf("after the claim: %+v", b)
		}
		if b, err := c.CloudFailure(ctx, ep, 1, now.Add(90*time.Second)); err != nil || !b.OpenUntil.Equal(now.Add(90*time.Second)) {
			t.Fatalf("failed probe: %+v %v", b, err)
		}
		if err := c.CloudSuccess(ctx, "http://never.test/v1"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		c = open(top).(store.CloudState)
		if b, err := c.CloudBreaker(ctx, ep); err != nil || !b.OpenUntil.Equal(now.Add(90*time.Second)) {
			t.Fatalf("after reopening: %+v %v", b, err)
		}
		if use, _, _ := c.ReserveCloudCall(ctx, "c_budget", store.CloudLimits{Calls: 5}); use.Calls != 5 {
			t.Fatalf("budget after reopening: %+v", use)
		}
		if err := c.CloudSuccess(ctx, ep); err != nil {
			t.Fatal(err)
		}
		if b, err := c.CloudBreaker(ctx, ep); err != nil || b != (store.Breaker{}) {
			t.Fatalf("after a success: %+v %v", b, err)
		}
	})
}
