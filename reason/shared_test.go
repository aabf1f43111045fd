package reason_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/reason"
	"github.com/parleyhq/parley/store/sqlite"
)

// TestRoutersShareOneBudgetAndBreaker runs two routers, as two nodes would, on one SQLite store:
// a conversation's budget of calls holds across both, and a breaker one opened the other obeys.
func TestRoutersShareOneBudgetAndBreaker(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lib := library(t)
	f := newFakeCloud(t, "ok")
	node := func() *reason.Router {
		return &reason.Router{Local: reason.NewLocal(lib), Cloud: cloudFor(f, false, nil), State: db, Endpoint: f.URL,
			Budget: reason.Budget{Calls: 3}, BreakAfter: 2, Cooldown: time.Minute}
	}
	a, b := node(), node()
	q := reason.Query{Pack: "bank", Text: "why does compound interest grow faster than simple interest", Conversation: "c_shared"}
	var cloud int
	for i := range 6 {
		ans, _ := []*reason.Router{a, b}[i%2].Respond(context.Background(), q)
		if ans.By == "cloud" {
			cloud++
		} else if !strings.Contains(ans.Route, "budget spent: 3 calls") {
			t.Fatalf("question %d kept local for %q", i, ans.Route)
		}
	}
	if cloud != 3 {
		t.Fatalf("%d cloud answers across two nodes under a budget of 3", cloud)
	}
	f.setMode("error")
	q.Conversation = "c_breaker"
	for range 2 {
		a.Respond(context.Background(), q)
	}
	before := f.calls.Load()
	ans, _ := b.Respond(context.Background(), q)
	if f.calls.Load() != before || !strings.Contains(ans.Route, "breaker open") || ans.Decision.Breaker != "open" {
		t.Fatalf("the other node called an endpoint whose breaker is open: %q %+v", ans.Route, ans.Decision)
	}
}
