package reason_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/reason"
)

func cloudFor(f *fakeCloud, stream bool, tools *reason.Tools) *reason.OpenAI {
	return &reason.OpenAI{BaseURL: f.URL + "/v1", APIKey: "k", Model: "m", Stream: stream, Tools: tools}
}

func TestOpenAIThroughTheSDK(t *testing.T) {
	lib := library(t)
	tools := &reason.Tools{Local: reason.NewLocal(lib), Packs: lib}
	tests := []struct {
		mode   string
		stream bool
		want   string
		tokens int
	}{
		{"ok", false, "cloud says: explain compound interest", 25},
		{"ok", true, "cloud says: explain compound interest", 25},
		{"tool", false, "from the article: # ", 65},
		{"tool", true, "from the article: # ", 65},
	}
	for _, tc := range tests {
		t.Run(tc.mode+map[bool]string{true: "/stream", false: ""}[tc.stream], func(t *testing.T) {
			f := newFakeCloud(t, tc.mode)
			a, err := cloudFor(f, tc.stream, tools).Respond(context.Background(), reason.Query{Pack: "bank", Text: "explain compound interest"})
			if err != nil || !strings.HasPrefix(a.Text, tc.want) || a.By != "cloud" || a.Tokens != tc.tokens {
				t.Fatalf("got %+v, %v", a, err)
			}
			req := f.lastRequest()
			if n := len(req["tools"].([]any)); n != 4 {
				t.Fatalf("%d tools offered", n)
			}
			if tc.mode == "tool" {
				msgs := req["messages"].([]any)
				last := msgs[len(msgs)-1].(map[string]any)
				if last["role"] != "tool" || last["tool_call_id"] != "call_1" || !strings.Contains(contentText(last["content"]), "# ") {
					t.Fatalf("tool result %v", last)
				}
			}
		})
	}
	for _, mode := range []string{"error", "garbage"} {
		f := newFakeCloud(t, mode)
		if _, err := cloudFor(f, false, nil).Respond(context.Background(), reason.Query{Pack: "bank", Text: "x"}); err == nil {
			t.Fatalf("%s: no error", mode)
		}
	}
}

func TestToolsProposeActionsAndValidateArguments(t *testing.T) {
	lib := library(t)
	tools := &reason.Tools{Local: reason.NewLocal(lib), Packs: lib}
	for _, tc := range []struct{ name, args, want, action string }{
		{"search_knowledge", `{"query":"overdraft fee"}`, "# ", ""},
		{"search_knowledge", `{"query":`, "error: the arguments are not a JSON object", ""},
		{"search_knowledge", `{}`, "error: query is required", ""},
		{"create_order", `{"part_number":"P-1","quantity":2}`, "proposed", "order"},
		{"hand_off", `{"reason":"angry"}`, "proposed", "handoff"},
		{"format_disk", `{}`, "error: unknown tool", ""},
	} {
		out, act := reason.RunTool(tools, "bank", tc.name, tc.args)
		if !strings.HasPrefix(out, tc.want) || (act == nil) != (tc.action == "") || act != nil && act.Type != tc.action {
			t.Errorf("%s %s: %q %+v", tc.name, tc.args, out, act)
		}
	}
}

var longDigits = regexp.MustCompile(`\d[\d .\-]{6,}\d`)

func TestCloudSeesMaskedNumbers(t *testing.T) {
	f := newFakeCloud(t, "ok")
	q := reason.Query{
		Pack: "bank", Text: "why was card 4111 1111 1111 1111 charged twice on account 123456789012?",
		History:  []reason.Turn{{Role: "customer", Text: "my account is 9876-5432-1098"}, {Role: "parley", Text: "thanks"}},
		Evidence: []string{"check: routing 021000021, account 00012345678, amount 1250.75"},
	}
	if _, err := cloudFor(f, false, nil).Respond(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(f.lastRequest())
	var sent []string
	for _, m := range f.lastRequest()["messages"].([]any) {
		sent = append(sent, contentText(m.(map[string]any)["content"]))
	}
	all := strings.Join(sent, "\n")
	if m := longDigits.FindString(all); m != "" {
		t.Fatalf("the cloud saw %q in %s", m, raw)
	}
	for _, want := range []string{"••••1111", "••••9012", "••••1098", "••••0021", "1250.75"} {
		if !strings.Contains(all, want) {
			t.Errorf("%q missing from %s", want, all)
		}
	}
}

func FuzzMask(f *testing.F) {
	f.Add("card 4111 1111 1111 1111 and 12345678")
	f.Add("1-2-3-4-5-6-7-8-9")
	f.Fuzz(func(t *testing.T, s string) {
		out := reason.Mask(s)
		if m := regexp.MustCompile(`\d(?:[ .\-]?\d){7,}`).FindString(out); m != "" {
			t.Fatalf("Mask(%q) = %q keeps %q", s, out, m)
		}
	})
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestRouterDecides(t *testing.T) {
	lib := library(t)
	open := "why does compound interest grow faster than simple interest"
	tests := []struct {
		name   string
		budget reason.Budget
		prior  int // earlier open questions in the same conversation
		q      reason.Query
		by     string
		reason string
	}{
		{"confident local", reason.Budget{}, 0, reason.Query{Text: "what are the branch opening hours"}, "local", "confident retrieval"},
		{"flow covers", reason.Budget{}, 0, reason.Query{Text: open, FlowCovers: true}, "local", "a flow covers the turn"},
		{"intent sure", reason.Budget{}, 0, reason.Query{Text: open, IntentConfidence: 0.95}, "local", "intent recognised"},
		{"simple", reason.Budget{}, 0, reason.Query{Text: "zebra"}, "local", "simple question"},
		{"open question", reason.Budget{}, 0, reason.Query{Text: open}, "cloud", "local retrieval not confident"},
		{"calls spent", reason.Budget{Calls: 1}, 1, reason.Query{Text: open}, "local", "1 calls"},
		{"tokens spent", reason.Budget{Tokens: 20}, 1, reason.Query{Text: open}, "local", "25 tokens"},
		{"money spent", reason.Budget{Money: 0.01, PricePerKToken: 1}, 1, reason.Query{Text: open}, "local", "budget spent: 0.0250"},
		{"other conversation", reason.Budget{Calls: 1}, 1, reason.Query{Text: open, Conversation: "c_other"}, "cloud", "not confident"},
		{"per minute", reason.Budget{PerMinute: 1}, 1, reason.Query{Text: open, Conversation: "c_other"}, "local", "this minute"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCloud(t, "ok")
			var decisions []reason.Decision
			r := &reason.Router{Local: reason.NewLocal(lib), Cloud: cloudFor(f, false, nil), Budget: tc.budget,
				Record: func(d reason.Decision) { decisions = append(decisions, d) }}
			ctx := reason.WithConversation(context.Background(), "c_1")
			for i := 0; i < tc.prior; i++ {
				if a, _ := r.Respond(ctx, reason.Query{Pack: "bank", Text: open}); a.By != "cloud" {
					t.Fatalf("prior question answered by %s: %s", a.By, a.Route)
				}
			}
			tc.q.Pack = "bank"
			a, _ := r.Respond(ctx, tc.q)
			d := decisions[len(decisions)-1]
			if a.By != tc.by || d.Route != tc.by || !strings.Contains(d.Reason, tc.reason) || a.Decision == nil || a.Route != d.Route+": "+d.Reason {
				t.Fatalf("by %s route %q; decision %+v", a.By, a.Route, d)
			}
			if wantConv := map[bool]string{true: "c_other", false: "c_1"}[tc.q.Conversation != ""]; d.Conversation != wantConv {
				t.Fatalf("decision conversation %q", d.Conversation)
			}
		})
	}
}

func TestRouterFallsBackWithinTheDeadline(t *testing.T) {
	lib := library(t)
	open := "why does compound interest grow faster than simple interest"
	for _, mode := range []string{"error", "hang", "slow", "garbage"} {
		t.Run(mode, func(t *testing.T) {
			f := newFakeCloud(t, mode)
			f.Delay = time.Second
			r := &reason.Router{Local: reason.NewLocal(lib), Cloud: cloudFor(f, mode == "slow", nil), Deadline: 200 * time.Millisecond}
			a, err := r.Respond(context.Background(), reason.Query{Pack: "bank", Text: open})
			if a.By == "cloud" || !a.Decision.CloudTried || a.Decision.CloudError == "" {
				t.Fatalf("%+v %v", a, err)
			}
			if (mode == "hang" || mode == "slow") && !errors.Is(err, reason.ErrDeadline) && !strings.Contains(a.Decision.CloudError, "deadline") {
				t.Fatalf("cloud error %q", a.Decision.CloudError)
			}
			// A question local knows still gets its answer: no turn fails.
			a, err = r.Respond(context.Background(), reason.Query{Pack: "bank", Text: "compare the overdraft fee and the monthly fee"})
			if err != nil || a.Text == "" {
				t.Fatalf("no local answer: %+v %v", a, err)
			}
		})
	}
}

func TestRouterCircuitBreaker(t *testing.T) {
	f := newFakeCloud(t, "error")
	c := &clock{t: time.Unix(1e9, 0)}
	var states []string
	r := &reason.Router{Local: reason.NewLocal(library(t)), Cloud: cloudFor(f, false, nil), BreakAfter: 2, Cooldown: time.Minute, Now: c.Now,
		Record: func(d reason.Decision) { states = append(states, d.Breaker) }}
	q := reason.Query{Pack: "bank", Text: "why does compound interest grow faster than simple interest"}
	ask := func() reason.Answer { a, _ := r.Respond(context.Background(), q); return a }
	ask()
	ask()
	before := f.calls.Load()
	if a := ask(); f.calls.Load() != before || !strings.Contains(a.Route, "breaker open") {
		t.Fatalf("breaker did not open: %q", a.Route)
	}
	c.add(2 * time.Minute)
	if a := ask(); f.calls.Load() != before+1 || a.By == "cloud" { // the probe fails: open again
		t.Fatalf("probe: %d calls, %q", f.calls.Load()-before, a.Route)
	}
	if a := ask(); !strings.Contains(a.Route, "breaker open") {
		t.Fatalf("failed probe left the breaker %q", a.Route)
	}
	c.add(2 * time.Minute)
	f.setMode("ok")
	if a := ask(); a.By != "cloud" {
		t.Fatalf("probe after recovery: %q", a.Route)
	}
	if a := ask(); a.By != "cloud" || states[len(states)-1] != "closed" {
		t.Fatalf("breaker not closed: %q %v", a.Route, states)
	}
	if !slices.Contains(states, "open") {
		t.Fatalf("states %v", states)
	}
}

func TestComplexity(t *testing.T) {
	for _, tc := range []struct {
		q        string
		min, max float64
	}{
		{"hi", 0, 0.1},
		{"balance", 0, 0.1},
		{"explain compound interest", 0.3, 0.5},
		{"why was I charged twice, and should I close the card, because it was stolen?", 0.8, 1},
	} {
		if c := reason.Complexity(tc.q); c < tc.min || c > tc.max {
			t.Errorf("Complexity(%q) = %.2f, want [%.2f, %.2f]", tc.q, c, tc.min, tc.max)
		}
	}
}
