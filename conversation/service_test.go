package conversation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/conversation"
	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception"
	_ "github.com/parleyhq/parley/perception/text"
	"github.com/parleyhq/parley/reason"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/blobfs"
	"github.com/parleyhq/parley/store/sqlite"
)

// cluster is one store shared by several services, as several nodes share one database.
type cluster struct {
	store     store.Store
	blobs     store.Blobs
	lib       *kb.Library
	pipeline  *perception.Pipeline
	conflicts atomic.Int64
	mu        sync.Mutex
	events    map[string][]string // conversation -> event types, in order
}

func newCluster(t testing.TB) *cluster {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := blobfs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	stages, _, err := perception.Build(perception.Env{Packs: lib, DataDir: dir}, []string{"text.nlu"})
	if err != nil || len(stages) != 1 {
		t.Fatalf("text stage: %v", err)
	}
	return &cluster{store: st, blobs: blobs, lib: lib, pipeline: perception.NewPipeline(stages...), events: map[string][]string{}}
}

// node returns a service over st (the cluster's store unless given).
func (c *cluster) node(t testing.TB, st store.Store) *conversation.Service {
	t.Helper()
	if st == nil {
		st = c.store
	}
	svc, err := conversation.New(conversation.Config{
		Store: st, Blobs: c.blobs, Packs: c.lib, Pipeline: c.pipeline,
		Engine: &dialogue.Engine{Packs: c.lib, Reasoner: reason.NewLocal(c.lib)},
		Hooks: conversation.Hooks{
			Conflict: func() { c.conflicts.Add(1) },
			Publish: func(id string, evs ...dialogue.Event) {
				c.mu.Lock()
				defer c.mu.Unlock()
				for _, ev := range evs {
					c.events[id] = append(c.events[id], ev.Type)
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func say(t *testing.T, svc *conversation.Service, id, text string) *conversation.Result {
	t.Helper()
	res, err := svc.Deliver(context.Background(), &store.Message{ConversationID: id, Role: store.RoleCustomer, Text: text})
	if err != nil {
		t.Fatalf("turn %q: %v", text, err)
	}
	return res
}

// TestHandoffOnOtherNodeSurvives is the scale-out bug: node B hands the conversation to a
// person, then node A takes the next turn; A must build on B's state, not overwrite it.
func TestHandoffOnOtherNodeSurvives(t *testing.T) {
	c := newCluster(t)
	a, b := c.node(t, nil), c.node(t, nil)
	created, err := a.Create(context.Background(), "", "bank")
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	say(t, a, id, "I would like to deposit a check")
	say(t, b, id, "I want to talk to a human")
	last := say(t, a, id, "hello?")
	got, err := b.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Conv.Status != store.StatusHandoff || got.Conv.Handoff == nil || !got.State.Handoff {
		t.Fatalf("after a turn on A: status %q, handoff %+v; the handoff taken on B was lost", got.Conv.Status, got.Conv.Handoff)
	}
	// In the human queue the dialogue no longer answers: the customer is told a person will.
	if text := last.Reply.Text(); !strings.Contains(text, "person") {
		t.Fatalf("reply on A after the handoff on B: %q", text)
	}
	if got.State.Turns != 2 || got.Conv.Version != 4 {
		t.Fatalf("dialogue turns %d at version %d, want 2 at 4", got.State.Turns, got.Conv.Version)
	}
}

// racing saves another node's change just before this node's first save, as if it had happened
// while this node's turn ran.
type racing struct {
	store.Store
	once   sync.Once
	before func()
}

func (r *racing) UpdateConversation(ctx context.Context, c *store.Conversation) error {
	r.once.Do(r.before)
	return r.Store.UpdateConversation(ctx, c)
}

// TestConflictRedoesTurnOnFreshState: a handoff saved by another node while a turn runs makes the
// turn's save conflict; the turn is redone on the fresh state and keeps the handoff.
func TestConflictRedoesTurnOnFreshState(t *testing.T) {
	c := newCluster(t)
	b := c.node(t, nil)
	created, err := b.Create(context.Background(), "", "bank")
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	r := &racing{Store: c.store}
	r.before = func() {
		err := b.Update(context.Background(), id, func(ch *conversation.Change) error {
			b.StartHandoff(ch, &dialogue.HandoffRequest{Reason: "asked on node B", Summary: "deposit"})
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	a := c.node(t, r)
	res := say(t, a, id, "I would like to deposit a check")
	if n := c.conflicts.Load(); n != 1 {
		t.Fatalf("%d conflicts, want 1", n)
	}
	var st dialogue.State
	if err := json.Unmarshal(res.State, &st); err != nil {
		t.Fatal(err)
	}
	got, err := b.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Conv.Status != store.StatusHandoff || got.Conv.Handoff == nil || got.Conv.Handoff.Reason != "asked on node B" {
		t.Fatalf("status %q handoff %+v: the turn overwrote the other node's handoff", got.Conv.Status, got.Conv.Handoff)
	}
	if !st.Handoff || res.Version != 3 || got.Conv.Version != 3 {
		t.Fatalf("turn result: handoff %v, version %d (stored %d), want true at 3", st.Handoff, res.Version, got.Conv.Version)
	}
	// The reply was made on the state with the handoff: a person will answer.
	if text := res.Reply.Text(); !strings.Contains(text, "person") {
		t.Fatalf("reply %q was not made on the fresh state", text)
	}
}

// TestConcurrentTurnsOnTwoNodes sends many turns of one conversation at once through two nodes:
// every turn is counted once in the final state and every message has its reply.
func TestConcurrentTurnsOnTwoNodes(t *testing.T) {
	c := newCluster(t)
	nodes := []*conversation.Service{c.node(t, nil), c.node(t, nil)}
	created, err := nodes[0].Create(context.Background(), "", "bank")
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	const turns = 24
	var wg sync.WaitGroup
	for i := range turns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := nodes[i%2].Deliver(context.Background(), &store.Message{ConversationID: id, Role: store.RoleCustomer, Text: fmt.Sprintf("what is my balance %d", i)})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := nodes[1].Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.State.Turns != turns || got.Conv.Version != turns+1 {
		t.Fatalf("turns %d at version %d, want %d at %d (conflicts %d)", got.State.Turns, got.Conv.Version, turns, turns+1, c.conflicts.Load())
	}
	msgs, err := c.store.Messages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if len(m.Reply) == 0 {
			t.Errorf("message %d %q has no reply", m.Seq, m.Text)
		}
	}
	t.Logf("%d turns on two nodes, %d redone after a conflict", turns, c.conflicts.Load())
}
