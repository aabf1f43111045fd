package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/parleyhq/parley/store"
)

// RunStageResults runs the store.StageResults conformance suite on the stores open returns (which
// must implement it); open follows the contract of Run.
func RunStageResults(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	sr, ok := s.(store.StageResults)
	if !ok {
		t.Fatalf("%T does not implement store.StageResults", s)
	}
	ctx := context.Background()
	for _, id := range []string{"sr1", "sr2"} {
		if err := s.CreateConversation(ctx, newConversation(id, 0)); err != nil {
			t.Fatal(err)
		}
	}
	first := &store.StageResult{ConversationID: "sr1", MessageID: "m1", Stage: "image.check", StageVersion: "2",
		Origin: store.OriginJob, Observations: json.RawMessage(`[{"kind":"entity","slot":"amount","value":1080}]`), CreatedAt: at(1)}

	t.Run("put then get", func(t *testing.T) {
		got, created, err := sr.PutStageResult(ctx, first)
		if err != nil || !created {
			t.Fatalf("PutStageResult = %v, created %v", err, created)
		}
		sameResult(t, got, first)
		got, err = sr.StageResult(ctx, "m1", "image.check", "2", store.OriginJob)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, got, first)
	})
	t.Run("never rewritten", func(t *testing.T) {
		again := *first
		again.Observations = json.RawMessage(`[{"kind":"entity","slot":"amount","value":1}]`)
		again.CreatedAt = at(5)
		got, created, err := sr.PutStageResult(ctx, &again)
		if err != nil || created {
			t.Fatalf("second PutStageResult = %v, created %v; want the first kept", err, created)
		}
		sameResult(t, got, first)
	})
	t.Run("keyed by version and origin", func(t *testing.T) {
		for i, r := range []*store.StageResult{
			{ConversationID: "sr1", MessageID: "m1", Stage: "image.check", StageVersion: "3", Origin: store.OriginReplay, Observations: json.RawMessage(`[]`), CreatedAt: at(3)},
			{ConversationID: "sr1", MessageID: "m1", Stage: "image.check", StageVersion: "2", Origin: store.OriginReplay, Observations: json.RawMessage(`[]`), CreatedAt: at(2)},
			{ConversationID: "sr2", MessageID: "m9", Stage: "audio.asr", StageVersion: "1", Origin: "job:0a1b2c3d", Observations: json.RawMessage(`[{"kind":"transcript","value":"yes"}]`), CreatedAt: at(4)},
		} {
			if _, created, err := sr.PutStageResult(ctx, r); err != nil || !created {
				t.Fatalf("result %d: %v, created %v", i, err, created)
			}
		}
		got, err := sr.StageResults(ctx, "sr1")
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, r := range got {
			order = append(order, r.StageVersion+"/"+r.Origin)
		}
		if want := []string{"2/job", "2/replay", "3/replay"}; len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
			t.Errorf("results of sr1 %v, want %v (oldest first)", order, want)
		}
		if got, err := sr.StageResults(ctx, "unknown"); err != nil || len(got) != 0 {
			t.Errorf("results of an unknown conversation = %d, %v; want none", len(got), err)
		}
	})
	t.Run("not found", func(t *testing.T) {
		if _, err := sr.StageResult(ctx, "m1", "image.check", "9", store.OriginJob); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("StageResult of a missing version = %v, want ErrNotFound", err)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for name, r := range map[string]*store.StageResult{
			"no stage":     {ConversationID: "sr1", MessageID: "m1", StageVersion: "1", Origin: "job", Observations: json.RawMessage(`[]`)},
			"bad JSON":     {ConversationID: "sr1", MessageID: "m1", Stage: "x", StageVersion: "1", Origin: "job", Observations: json.RawMessage(`[`)},
			"unknown conv": {ConversationID: "nope", MessageID: "m1", Stage: "x", StageVersion: "1", Origin: "job", Observations: json.RawMessage(`[]`)},
		} {
			if _, _, err := sr.PutStageResult(ctx, r); err == nil {
				t.Errorf("%s: PutStageResult succeeded", name)
			}
		}
	})
	t.Run("concurrent puts keep one", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		createdN := 0
		seen := map[string]bool{}
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &store.StageResult{ConversationID: "sr2", MessageID: "race", Stage: "image.check", StageVersion: "1", Origin: store.OriginJob,
					Observations: json.RawMessage(`[{"kind":"n","value":` + string(rune('0'+i)) + `}]`)}
				got, created, err := sr.PutStageResult(ctx, r)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if created {
					createdN++
				}
				seen[string(compact(got.Observations))] = true
			}()
		}
		wg.Wait()
		if createdN != 1 || len(seen) != 1 {
			t.Errorf("%d puts stored, callers saw %d results; want one stored and seen by all", createdN, len(seen))
		}
	})
	// Another node (the store opened again) finds the results.
	s.Close()
	if _, err := open(t).(store.StageResults).StageResult(ctx, "m1", "image.check", "2", store.OriginJob); err != nil {
		t.Errorf("after reopen: %v", err)
	}
}

func sameResult(t *testing.T, got, want *store.StageResult) {
	t.Helper()
	if got.ConversationID != want.ConversationID || got.MessageID != want.MessageID || got.Stage != want.Stage ||
		got.StageVersion != want.StageVersion || got.Origin != want.Origin || !sameTime(got.CreatedAt, want.CreatedAt) ||
		!sameJSON(got.Observations, want.Observations) {
		t.Errorf("got %+v (%s), want %+v (%s)", got, got.Observations, want, want.Observations)
	}
}

func compact(b json.RawMessage) []byte {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	out, _ := json.Marshal(v)
	return out
}
