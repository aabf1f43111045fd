package storetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/parleyhq/parley/store"
)

// testEdgeCounters checks store.EdgeCounters: counters add up per conversation and kind, across
// concurrent writers and a restart, totals sum every conversation, and bad input is refused.
func testEdgeCounters(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	e, ok := s.(store.EdgeCounters)
	if !ok {
		t.Fatalf("%T does not implement store.EdgeCounters", s)
	}
	ctx := context.Background()
	mustCreate(t, s, newConversation("c_edge1", 1))
	mustCreate(t, s, newConversation("c_edge2", 2))
	if got, err := e.EdgeBytes(ctx, "c_edge1"); err != nil || len(got) != 0 {
		t.Fatalf("fresh conversation: %v, %v", got, err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kind := []string{"video", "audio"}[i%2]
			if err := e.AddEdgeBytes(ctx, "c_edge1", kind, 10, 1000); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := e.AddEdgeBytes(ctx, "c_edge2", "photo", 300, 3000); err != nil {
		t.Fatal(err)
	}
	want := []store.EdgeBytes{{Kind: "audio", Sent: 100, Raw: 10000}, {Kind: "video", Sent: 100, Raw: 10000}}
	if got, err := e.EdgeBytes(ctx, "c_edge1"); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("EdgeBytes = %+v, %v; want %+v", got, err, want)
	}
	wantTotals := store.EdgeTotals{Conversations: 2, Kinds: []store.EdgeBytes{
		{Kind: "audio", Sent: 100, Raw: 10000}, {Kind: "photo", Sent: 300, Raw: 3000}, {Kind: "video", Sent: 100, Raw: 10000}}}
	if got, err := e.EdgeTotals(ctx); err != nil || !reflect.DeepEqual(got, wantTotals) {
		t.Fatalf("EdgeTotals = %+v, %v; want %+v", got, err, wantTotals)
	}
	if err := e.AddEdgeBytes(ctx, "c_missing", "video", 1, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown conversation: %v, want ErrNotFound", err)
	}
	if err := e.AddEdgeBytes(ctx, "c_edge1", "video", -1, 1); !errors.Is(err, store.ErrBadValue) {
		t.Errorf("negative count: %v, want ErrBadValue", err)
	}
	s.Close()
	e = open(t).(store.EdgeCounters)
	if got, err := e.EdgeBytes(ctx, "c_edge1"); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopening: %+v, %v; want %+v", got, err, want)
	}
}
