package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/store"
)

// Run runs the store.Store conformance suite. See the package comment for the contract of open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"CreateAndGet", testCreateAndGet},
		{"Defaults", testDefaults},
		{"DuplicateConversation", testDuplicateConversation},
		{"NotFound", testNotFound},
		{"Update", testUpdate},
		{"List", testList},
		{"MessagesInOrder", testMessagesInOrder},
		{"IdempotentAddMessage", testIdempotent},
		{"DuplicateMessageID", testDuplicateMessageID},
		{"SetReply", testSetReply},
		{"ReopenKeepsData", testReopen},
		{"ConcurrentWriters", testConcurrent},
		{"CanceledContext", testCanceled},
		{"Closed", testClosed},
		{"Version", testVersion},
		{"VersionRace", testVersionRace},
		{"EdgeCounters", testEdgeCounters},
		{"CloudState", testCloudState},
	}
	for _, tc := range append(tests, accessTests...) {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// at returns a fixed, distinct instant per n so comparisons do not depend on the clock.
func at(n int) time.Time {
	return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(n)*time.Minute + 123456*time.Microsecond)
}

func newConversation(id string, n int) *store.Conversation {
	return &store.Conversation{
		ID: id, Pack: "bank", Status: store.StatusOpen,
		CreatedAt: at(n), UpdatedAt: at(n),
		State: json.RawMessage(`{"skill":"deposit_check","slots":{"amount":{"value":1250.75,"status":"proposed"}}}`),
	}
}

func mustCreate(t *testing.T, s store.Store, c *store.Conversation) {
	t.Helper()
	if err := s.CreateConversation(context.Background(), c); err != nil {
		t.Fatalf("CreateConversation(%q): %v", c.ID, err)
	}
}

func mustAdd(t *testing.T, s store.Store, m *store.Message) *store.Message {
	t.Helper()
	got, err := s.AddMessage(context.Background(), m)
	if err != nil {
		t.Fatalf("AddMessage(%q): %v", m.Text, err)
	}
	return got
}

func sameTime(a, b time.Time) bool { return a.Sub(b).Abs() < time.Microsecond }

func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func checkConversation(t *testing.T, got, want *store.Conversation) {
	t.Helper()
	if got.ID != want.ID || got.Pack != want.Pack || got.Status != want.Status {
		t.Errorf("conversation = {%q %q %q}, want {%q %q %q}", got.ID, got.Pack, got.Status, want.ID, want.Pack, want.Status)
	}
	if !sameTime(got.CreatedAt, want.CreatedAt) || !sameTime(got.UpdatedAt, want.UpdatedAt) {
		t.Errorf("times = %v/%v, want %v/%v", got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	if (got.ResolvedAt == nil) != (want.ResolvedAt == nil) || got.ResolvedAt != nil && !sameTime(*got.ResolvedAt, *want.ResolvedAt) {
		t.Errorf("ResolvedAt = %v, want %v", got.ResolvedAt, want.ResolvedAt)
	}
	if want.Version != 0 && got.Version != want.Version {
		t.Errorf("Version = %d, want %d", got.Version, want.Version)
	}
	if !sameJSON(got.State, want.State) {
		t.Errorf("State = %s, want %s", got.State, want.State)
	}
	if (got.CSAT == nil) != (want.CSAT == nil) ||
		got.CSAT != nil && (got.CSAT.Score != want.CSAT.Score || got.CSAT.Comment != want.CSAT.Comment || !sameTime(got.CSAT.At, want.CSAT.At)) {
		t.Errorf("CSAT = %+v, want %+v", got.CSAT, want.CSAT)
	}
	if (got.Handoff == nil) != (want.Handoff == nil) || got.Handoff != nil &&
		(got.Handoff.Reason != want.Handoff.Reason || got.Handoff.Summary != want.Handoff.Summary ||
			got.Handoff.Agent != want.Handoff.Agent || !sameTime(got.Handoff.At, want.Handoff.At)) {
		t.Errorf("Handoff = %+v, want %+v", got.Handoff, want.Handoff)
	}
}

func checkMessage(t *testing.T, got, want *store.Message) {
	t.Helper()
	if got.ID != want.ID || got.ConversationID != want.ConversationID || got.Seq != want.Seq ||
		got.Role != want.Role || got.Text != want.Text {
		t.Errorf("message = {%q %q seq %d %q %q}, want {%q %q seq %d %q %q}",
			got.ID, got.ConversationID, got.Seq, got.Role, got.Text,
			want.ID, want.ConversationID, want.Seq, want.Role, want.Text)
	}
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		t.Errorf("message %q CreatedAt = %v, want %v", want.ID, got.CreatedAt, want.CreatedAt)
	}
	if len(got.Parts) != len(want.Parts) || len(want.Parts) > 0 && !reflect.DeepEqual(got.Parts, want.Parts) {
		t.Errorf("message %q Parts = %+v, want %+v", want.ID, got.Parts, want.Parts)
	}
	if !sameJSON(got.Reply, want.Reply) || !sameJSON(got.Observations, want.Observations) {
		t.Errorf("message %q reply/observations = %s / %s, want %s / %s", want.ID, got.Reply, got.Observations, want.Reply, want.Observations)
	}
}

func testCreateAndGet(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	want := newConversation("c1", 1)
	mustCreate(t, s, want)
	got, err := s.Conversation(ctx, "c1")
	if err != nil {
		t.Fatalf("Conversation: %v", err)
	}
	checkConversation(t, got, want)

	bare := &store.Conversation{ID: "c2", Pack: "telecom", Status: store.StatusOpen, CreatedAt: at(2), UpdatedAt: at(2)}
	mustCreate(t, s, bare)
	got, err = s.Conversation(ctx, "c2")
	if err != nil {
		t.Fatalf("Conversation: %v", err)
	}
	checkConversation(t, got, bare)
}

func testDefaults(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	c := &store.Conversation{Pack: "bank"}
	before := time.Now().Add(-time.Second)
	mustCreate(t, s, c)
	if c.ID == "" || c.Status != store.StatusOpen || c.CreatedAt.Before(before) || c.UpdatedAt.IsZero() {
		t.Fatalf("defaults not filled in: %+v", c)
	}
	got, err := s.Conversation(ctx, c.ID)
	if err != nil {
		t.Fatalf("Conversation: %v", err)
	}
	checkConversation(t, got, c)
	m := &store.Message{ConversationID: c.ID, Role: store.RoleCustomer, Text: "hi"}
	mustAdd(t, s, m)
	if m.ID == "" || m.CreatedAt.Before(before) || m.Seq != 1 {
		t.Fatalf("message defaults not filled in: %+v", m)
	}
}

func testDuplicateConversation(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	mustCreate(t, s, newConversation("dup", 1))
	err := s.CreateConversation(context.Background(), newConversation("dup", 2))
	if !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("second CreateConversation = %v, want ErrDuplicate", err)
	}
	got, err := s.Conversation(context.Background(), "dup")
	if err != nil {
		t.Fatal(err)
	}
	checkConversation(t, got, newConversation("dup", 1))
}

func testNotFound(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	mustCreate(t, s, newConversation("real", 1))
	m := mustAdd(t, s, &store.Message{ID: "m1", ConversationID: "real", Role: store.RoleCustomer, Text: "hi", CreatedAt: at(1)})
	calls := []struct {
		name string
		call func() error
	}{
		{"Conversation", func() error { _, err := s.Conversation(ctx, "missing"); return err }},
		{"UpdateConversation", func() error { return s.UpdateConversation(ctx, newConversation("missing", 1)) }},
		{"AddMessage", func() error {
			_, err := s.AddMessage(ctx, &store.Message{ID: "m2", ConversationID: "missing", Role: store.RoleCustomer, Text: "x"})
			return err
		}},
		{"Messages", func() error { _, err := s.Messages(ctx, "missing"); return err }},
		{"SetReply/conversation", func() error { return s.SetReply(ctx, "missing", m.ID, json.RawMessage(`{}`), nil) }},
		{"SetReply/message", func() error { return s.SetReply(ctx, "real", "missing", json.RawMessage(`{}`), nil) }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s = %v, want ErrNotFound", c.name, err)
		}
	}
	// A conversation without messages is not "not found".
	mustCreate(t, s, newConversation("empty", 2))
	if ms, err := s.Messages(ctx, "empty"); err != nil || len(ms) != 0 {
		t.Errorf("Messages(empty) = %d, %v; want 0, nil", len(ms), err)
	}
}

func testUpdate(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	c := newConversation("u1", 1)
	mustCreate(t, s, c)
	resolved := at(30)
	c.Status = store.StatusResolved
	c.UpdatedAt = at(31)
	c.ResolvedAt = &resolved
	c.State = json.RawMessage(`{"skill":"lost_card","slots":{"card":{"value":"****1234","status":"confirmed"}},"affect":{"frustration":0.2}}`)
	c.CSAT = &store.CSAT{Score: 4, Comment: "quick", At: at(32)}
	c.Handoff = &store.Handoff{Reason: "customer asked", Summary: "lost card ****1234", At: at(20), Agent: "ana"}
	if err := s.UpdateConversation(ctx, c); err != nil {
		t.Fatalf("UpdateConversation: %v", err)
	}
	got, err := s.Conversation(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	checkConversation(t, got, c)

	// The pack and creation time are fixed at creation.
	changed := *c
	changed.Pack, changed.CreatedAt = "telecom", at(99)
	if err := s.UpdateConversation(ctx, &changed); err != nil {
		t.Fatalf("UpdateConversation: %v", err)
	}
	c.Version = changed.Version
	got, err = s.Conversation(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	checkConversation(t, got, c)

	// Clearing optional fields clears them.
	c.Status, c.ResolvedAt, c.CSAT, c.Handoff, c.State = store.StatusHandoff, nil, nil, nil, nil
	if err := s.UpdateConversation(ctx, c); err != nil {
		t.Fatalf("UpdateConversation: %v", err)
	}
	got, err = s.Conversation(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	checkConversation(t, got, c)
}

func testList(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	statuses := []string{store.StatusOpen, store.StatusHandoff, store.StatusResolved, store.StatusHandoff, store.StatusOpen}
	for i, st := range statuses {
		c := newConversation(fmt.Sprintf("l%d", i), i)
		c.Status = st
		mustCreate(t, s, c)
	}
	ids := func(cs []*store.Conversation) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    store.Filter
		want []string
	}{
		{"all", store.Filter{}, []string{"l4", "l3", "l2", "l1", "l0"}},
		{"status", store.Filter{Status: store.StatusHandoff}, []string{"l3", "l1"}},
		{"since", store.Filter{Since: at(2)}, []string{"l4", "l3", "l2"}},
		{"limit", store.Filter{Limit: 2}, []string{"l4", "l3"}},
		{"combined", store.Filter{Status: store.StatusOpen, Since: at(1), Limit: 5}, []string{"l4"}},
		{"none", store.Filter{Status: "nope"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Conversations(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(got), tc.want) {
				t.Errorf("Conversations(%+v) = %v, want %v", tc.f, ids(got), tc.want)
			}
		})
	}
	got, err := s.Conversations(ctx, store.Filter{Limit: 1})
	if err != nil || len(got) != 1 {
		t.Fatalf("Conversations = %v, %v", got, err)
	}
	want := newConversation("l4", 4)
	checkConversation(t, got[0], want)
}

func testMessagesInOrder(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	mustCreate(t, s, newConversation("a", 1))
	mustCreate(t, s, newConversation("b", 2))
	var want []*store.Message
	for i := range 5 {
		m := &store.Message{ID: fmt.Sprintf("a%d", i), ConversationID: "a", Role: store.RoleCustomer,
			Text: fmt.Sprintf("message %d", i), CreatedAt: at(10 + i)}
		if i == 2 {
			m.Role = store.RoleAgent
		}
		if i == 3 {
			m.Text = ""
			m.Parts = []store.BlobRef{
				{Kind: "image", Hash: "ab" + fmt.Sprint(i), ContentType: "image/jpeg", Name: "check.jpg", Size: 12345},
				{Kind: "audio", Hash: "cd", ContentType: "audio/wav", Size: 99},
			}
		}
		got := mustAdd(t, s, m)
		if got.Seq != i+1 {
			t.Errorf("message %d Seq = %d, want %d", i, got.Seq, i+1)
		}
		want = append(want, got)
		// Seq is per conversation: interleave another conversation's messages.
		if b := mustAdd(t, s, &store.Message{ConversationID: "b", Role: store.RoleCustomer, Text: "other"}); b.Seq != i+1 {
			t.Errorf("conversation b Seq = %d, want %d", b.Seq, i+1)
		}
	}
	got, err := s.Messages(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Messages returned %d, want %d", len(got), len(want))
	}
	for i := range want {
		checkMessage(t, got[i], want[i])
	}
}

func testIdempotent(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	mustCreate(t, s, newConversation("i1", 1))
	mustCreate(t, s, newConversation("i2", 2))
	first := mustAdd(t, s, &store.Message{ID: "first", ConversationID: "i1", Role: store.RoleCustomer, Text: "deposit", IdempotencyKey: "key-1", CreatedAt: at(5)})
	again, err := s.AddMessage(ctx, &store.Message{ID: "retry", ConversationID: "i1", Role: store.RoleCustomer, Text: "deposit", IdempotencyKey: "key-1"})
	if !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("retry with the same key = %v, want ErrDuplicate", err)
	}
	if again == nil {
		t.Fatal("retry with the same key returned no message")
	}
	checkMessage(t, again, first)
	if again.IdempotencyKey != "key-1" {
		t.Errorf("IdempotencyKey = %q, want key-1", again.IdempotencyKey)
	}
	// The same key in another conversation is a different message; no key never deduplicates.
	mustAdd(t, s, &store.Message{ConversationID: "i2", Role: store.RoleCustomer, Text: "deposit", IdempotencyKey: "key-1"})
	mustAdd(t, s, &store.Message{ConversationID: "i1", Role: store.RoleCustomer, Text: "hello"})
	mustAdd(t, s, &store.Message{ConversationID: "i1", Role: store.RoleCustomer, Text: "hello"})
	got, err := s.Messages(ctx, "i1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("conversation i1 has %d messages, want 3", len(got))
	}
	for i, m := range got {
		if m.Seq != i+1 {
			t.Errorf("message %d Seq = %d after a duplicate, want %d (no gaps)", i, m.Seq, i+1)
		}
	}
}

func testDuplicateMessageID(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	mustCreate(t, s, newConversation("d1", 1))
	mustAdd(t, s, &store.Message{ID: "same", ConversationID: "d1", Role: store.RoleCustomer, Text: "one"})
	_, err := s.AddMessage(context.Background(), &store.Message{ID: "same", ConversationID: "d1", Role: store.RoleCustomer, Text: "two"})
	if !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("AddMessage with an existing ID = %v, want ErrDuplicate", err)
	}
	got, err := s.Messages(context.Background(), "d1")
	if err != nil || len(got) != 1 || got[0].Text != "one" {
		t.Fatalf("Messages = %v, %v; want the first message only", got, err)
	}
}

func testSetReply(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	mustCreate(t, s, newConversation("r1", 1))
	m := mustAdd(t, s, &store.Message{ID: "rm", ConversationID: "r1", Role: store.RoleCustomer, Text: "I want to deposit a check", CreatedAt: at(2)})
	m.Reply = json.RawMessage(`{"parts":[{"type":"text","text":"Please send a photo of the front."}],"style":{"rate_wpm":175}}`)
	m.Observations = json.RawMessage(`[{"kind":"intent","value":"deposit_check","confidence":0.93}]`)
	if err := s.SetReply(ctx, "r1", "rm", m.Reply, m.Observations); err != nil {
		t.Fatalf("SetReply: %v", err)
	}
	got, err := s.Messages(ctx, "r1")
	if err != nil || len(got) != 1 {
		t.Fatalf("Messages = %v, %v", got, err)
	}
	checkMessage(t, got[0], m)
	// A second SetReply replaces the first.
	m.Reply, m.Observations = json.RawMessage(`{"parts":[]}`), nil
	if err := s.SetReply(ctx, "r1", "rm", m.Reply, nil); err != nil {
		t.Fatalf("SetReply: %v", err)
	}
	got, err = s.Messages(ctx, "r1")
	if err != nil || len(got) != 1 {
		t.Fatalf("Messages = %v, %v", got, err)
	}
	checkMessage(t, got[0], m)
}

func testReopen(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	c := newConversation("p1", 1)
	mustCreate(t, s, c)
	var want []*store.Message
	for i := range 3 {
		m := mustAdd(t, s, &store.Message{ID: fmt.Sprintf("p%d", i), ConversationID: "p1", Role: store.RoleCustomer,
			Text: fmt.Sprint("turn ", i), IdempotencyKey: fmt.Sprint("k", i), CreatedAt: at(i)})
		m.Reply = json.RawMessage(fmt.Sprintf(`{"parts":[{"type":"text","text":"reply %d"}]}`, i))
		if err := s.SetReply(ctx, "p1", m.ID, m.Reply, nil); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
	}
	c.Status = store.StatusHandoff
	c.Handoff = &store.Handoff{Reason: "asked for a person", Summary: "deposit of $1,250.75", At: at(9)}
	c.State = json.RawMessage(`{"skill":"deposit_check","step":2}`)
	if err := s.UpdateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t)
	got, err := s.Conversation(ctx, "p1")
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	checkConversation(t, got, c)
	ms, err := s.Messages(ctx, "p1")
	if err != nil || len(ms) != len(want) {
		t.Fatalf("after reopen Messages = %d, %v; want %d", len(ms), err, len(want))
	}
	for i := range want {
		checkMessage(t, ms[i], want[i])
	}
	// Idempotency keys and sequence numbers survive too.
	dup, err := s.AddMessage(ctx, &store.Message{ConversationID: "p1", Role: store.RoleCustomer, Text: "turn 1", IdempotencyKey: "k1"})
	if !errors.Is(err, store.ErrDuplicate) || dup == nil || dup.ID != "p1" {
		t.Errorf("retry after reopen = %v, %v; want message p1 and ErrDuplicate", dup, err)
	}
	if m := mustAdd(t, s, &store.Message{ConversationID: "p1", Role: store.RoleCustomer, Text: "next"}); m.Seq != 4 {
		t.Errorf("Seq after reopen = %d, want 4", m.Seq)
	}
}

func testConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	const convs, writers, perWriter = 4, 8, 10
	for c := range convs {
		mustCreate(t, s, newConversation(fmt.Sprint("cc", c), c))
	}
	var wg sync.WaitGroup
	errs := make(chan error, convs*writers*perWriter*2)
	for c := range convs {
		for w := range writers {
			wg.Go(func() {
				conv := fmt.Sprint("cc", c)
				for i := range perWriter {
					// Every writer also retries one shared key: exactly one of them may create it.
					key := fmt.Sprintf("w%d-%d", w, i)
					if i == 0 {
						key = "shared"
					}
					m, err := s.AddMessage(ctx, &store.Message{ConversationID: conv, Role: store.RoleCustomer,
						Text: key, IdempotencyKey: key})
					if errors.Is(err, store.ErrDuplicate) && key == "shared" {
						continue
					}
					if err != nil {
						errs <- fmt.Errorf("AddMessage: %w", err)
						return
					}
					if err := s.SetReply(ctx, conv, m.ID, json.RawMessage(fmt.Sprintf(`{"seq":%d}`, m.Seq)), nil); err != nil {
						errs <- fmt.Errorf("SetReply: %w", err)
						return
					}
				}
			})
		}
	}
	// Readers run beside the writers.
	for c := range convs {
		wg.Go(func() {
			for range 5 {
				if _, err := s.Messages(ctx, fmt.Sprint("cc", c)); err != nil {
					errs <- fmt.Errorf("Messages: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := writers*(perWriter-1) + 1
	for c := range convs {
		ms, err := s.Messages(ctx, fmt.Sprint("cc", c))
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != want {
			t.Errorf("conversation %d has %d messages, want %d", c, len(ms), want)
		}
		shared := 0
		for i, m := range ms {
			if m.Seq != i+1 {
				t.Errorf("conversation %d message %d Seq = %d, want %d", c, i, m.Seq, i+1)
			}
			if want := fmt.Sprintf(`{"seq":%d}`, m.Seq); !sameJSON(m.Reply, json.RawMessage(want)) {
				t.Errorf("conversation %d message %d reply = %s, want %s", c, i, m.Reply, want)
			}
			if m.Text == "shared" {
				shared++
			}
		}
		if shared != 1 {
			t.Errorf("conversation %d holds the shared idempotency key %d times, want 1", c, shared)
		}
	}
}

func testCanceled(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.CreateConversation(ctx, newConversation("x", 1)); err == nil {
		t.Error("CreateConversation with a canceled context succeeded")
	}
	if _, err := s.Conversation(context.Background(), "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a write with a canceled context was stored (Conversation = %v)", err)
	}
}

func testClosed(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := context.Background()
	mustCreate(t, s, newConversation("z", 1))
	m := mustAdd(t, s, &store.Message{ConversationID: "z", Role: store.RoleCustomer, Text: "hi"})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"CreateConversation", func() error { return s.CreateConversation(ctx, newConversation("y", 2)) }},
		{"Conversation", func() error { _, err := s.Conversation(ctx, "z"); return err }},
		{"UpdateConversation", func() error { return s.UpdateConversation(ctx, newConversation("z", 1)) }},
		{"Conversations", func() error { _, err := s.Conversations(ctx, store.Filter{}); return err }},
		{"AddMessage", func() error {
			_, err := s.AddMessage(ctx, &store.Message{ConversationID: "z", Role: store.RoleCustomer, Text: "x"})
			return err
		}},
		{"SetReply", func() error { return s.SetReply(ctx, "z", m.ID, json.RawMessage(`{}`), nil) }},
		{"Messages", func() error { _, err := s.Messages(ctx, "z"); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", c.name, err)
		}
	}
	if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		t.Errorf("second Close = %v, want nil or ErrClosed", err)
	}
}
