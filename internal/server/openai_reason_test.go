package server

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/reason"
)

// TestDecisionLogRotates: the log starts a new file at its size limit, keeps one older file, and
// a conversation's decisions are read back from both, oldest first.
func TestDecisionLogRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "decisions.jsonl")
	l := &decisionLog{path: path, max: 2000}
	for i := range 60 {
		conv := []string{"c_a", "c_b"}[i%2]
		if err := l.append(reason.Decision{Conversation: conv, At: time.Unix(int64(i), 0), Route: "local", Reason: "confident retrieval"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{path, path + ".1"} {
		st, err := os.Stat(p)
		if err != nil || st.Size() > 2000 {
			t.Fatalf("%s: %v, %v", p, st, err)
		}
	}
	got, err := l.read("c_a")
	if err != nil || len(got) == 0 || len(got) >= 30 {
		t.Fatalf("%d decisions of c_a kept, %v (want the latest, fewer than all 30)", len(got), err)
	}
	for i := 1; i < len(got); i++ {
		if !got[i].At.After(got[i-1].At) || got[i].Conversation != "c_a" {
			t.Fatalf("decisions out of order or mixed: %+v", got)
		}
	}
	if got[len(got)-1].At.Unix() != 58 {
		t.Fatalf("the latest decision is missing: %+v", got[len(got)-1])
	}
}
