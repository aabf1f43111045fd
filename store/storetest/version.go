package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/parleyhq/parley/store"
)

// testVersion checks optimistic concurrency: a save names the version it read, a stale one fails
// with ErrConflict and changes nothing, version zero saves unconditionally.
func testVersion(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	c := newConversation("v1", 1)
	mustCreate(t, s, c)
	if c.Version != 1 {
		t.Fatalf("Version after create = %d, want 1", c.Version)
	}
	a, err := s.Conversation(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Conversation(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != 1 || b.Version != 1 {
		t.Fatalf("read versions %d and %d, want 1", a.Version, b.Version)
	}
	a.Status, a.Handoff = store.StatusHandoff, &store.Handoff{Reason: "asked", Summary: "s", At: at(2)}
	if err := s.UpdateConversation(ctx, a); err != nil {
		t.Fatalf("first save: %v", err)
	}
	if a.Version != 2 {
		t.Fatalf("Version after save = %d, want 2", a.Version)
	}
	// b was read before a's save: saving it would lose the handoff.
	b.State = json.RawMessage(`{"skill":"lost_card"}`)
	if err := s.UpdateConversation(ctx, b); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale save = %v, want ErrConflict", err)
	}
	if b.Version != 1 {
		t.Errorf("a failed save changed Version to %d", b.Version)
	}
	got, err := s.Conversation(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	checkConversation(t, got, a)
	// Read again, redo, save: it succeeds on top of a's change.
	got.State = b.State
	if err := s.UpdateConversation(ctx, got); err != nil || got.Version != 3 {
		t.Fatalf("save after re-read = %v (version %d), want nil (3)", err, got.Version)
	}
	// Version zero is unconditional and still counts.
	blind := newConversation("v1", 1)
	blind.Version = 0
	if err := s.UpdateConversation(ctx, blind); err != nil || blind.Version != 4 {
		t.Fatalf("unconditional save = %v (version %d), want nil (4)", err, blind.Version)
	}
	missing := newConversation("nobody", 1)
	missing.Version = 3
	if err := s.UpdateConversation(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("save of a missing conversation = %v, want ErrNotFound", err)
	}
}

// testVersionRace saves one version from many goroutines at once: exactly one wins.
func testVersionRace(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	mustCreate(t, s, newConversation("race", 1))
	const writers = 16
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		won, lost int
	)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.Conversation(ctx, "race")
			if err != nil {
				t.Error(err)
				return
			}
			c.Version = 1 // every writer read version 1
			c.UpdatedAt = at(10 + i)
			err = s.UpdateConversation(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, store.ErrConflict):
				lost++
			default:
				t.Errorf("save: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || lost != writers-1 {
		t.Fatalf("%d saves won and %d conflicted, want 1 and %d", won, lost, writers-1)
	}
	got, err := s.Conversation(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 {
		t.Fatalf("Version = %d, want 2", got.Version)
	}
}
