// Package queuetest is the conformance suite every queue.Queue implementation must pass.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/queue"
)

// Options are the delivery options the suite asks open to configure.
var Options = queue.Options{MaxDeliver: 3, RetryDelay: 20 * time.Millisecond, DeadLetter: "jobs.dead"}

// wait is how long the suite waits for a delivery before failing.
const wait = 10 * time.Second

// Run runs the suite. open returns a new, empty queue configured with opts for test t, and closes it
// when t ends (the suite may close it first; closing twice must be harmless).
func Run(t *testing.T, open func(t *testing.T, opts queue.Options) queue.Queue) {
	tests := []struct {
		name string
		fn   func(t *testing.T, q queue.Queue)
	}{
		{"PublishThenSubscribe", testPublishThenSubscribe},
		{"SubscribeThenPublish", testSubscribeThenPublish},
		{"WorkQueue", testWorkQueue},
		{"SubjectsApart", testSubjectsApart},
		{"Redelivery", testRedelivery},
		{"MaxDeliver", testMaxDeliver},
		{"DeadLetter", testDeadLetter},
		{"Panic", testPanic},
		{"Stop", testStop},
		{"BadSubject", testBadSubject},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t, Options)) })
	}
}

// collector records deliveries.
type collector struct {
	mu   sync.Mutex
	got  map[string]int
	more chan struct{}
}

func newCollector() *collector {
	return &collector{got: map[string]int{}, more: make(chan struct{}, 1)}
}

func (c *collector) add(data []byte) {
	c.mu.Lock()
	c.got[string(data)]++
	c.mu.Unlock()
	select {
	case c.more <- struct{}{}:
	default:
	}
}

func (c *collector) handler(ctx context.Context, data []byte) error {
	c.add(data)
	return nil
}

func (c *collector) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got[key]
}

// waitFor waits until cond holds, failing t after the suite's timeout.
func (c *collector) waitFor(t *testing.T, what string, cond func(got map[string]int) bool) {
	t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		ok := cond(c.got)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.more:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("timed out waiting for %s; deliveries: %v", what, c.got)
		}
	}
}

func publishN(t *testing.T, q queue.Queue, subject string, n int) {
	t.Helper()
	for i := range n {
		if err := q.Publish(context.Background(), subject, fmt.Appendf(nil, "job-%d", i)); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
}

func allOnce(n int) func(map[string]int) bool {
	return func(got map[string]int) bool {
		for i := range n {
			if got[fmt.Sprint("job-", i)] == 0 {
				return false
			}
		}
		return true
	}
}

func subscribe(t *testing.T, q queue.Queue, subject string, h queue.Handler) func() {
	t.Helper()
	stop, err := q.Subscribe(context.Background(), subject, h)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", subject, err)
	}
	t.Cleanup(stop)
	return stop
}

func testPublishThenSubscribe(t *testing.T, q queue.Queue) {
	publishN(t, q, "jobs.early", 5)
	c := newCollector()
	subscribe(t, q, "jobs.early", c.handler)
	c.waitFor(t, "5 jobs published before subscribing", allOnce(5))
}

func testSubscribeThenPublish(t *testing.T, q queue.Queue) {
	c := newCollector()
	subscribe(t, q, "jobs.late", c.handler)
	publishN(t, q, "jobs.late", 5)
	c.waitFor(t, "5 jobs", allOnce(5))
	// Publish copies: changing the caller's buffer afterwards changes nothing.
	buf := []byte("original")
	if err := q.Publish(context.Background(), "jobs.late", buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "CHANGED!")
	c.waitFor(t, "the original bytes", func(got map[string]int) bool { return got["original"] == 1 })
}

func testWorkQueue(t *testing.T, q queue.Queue) {
	const n = 40
	c := newCollector()
	var mu sync.Mutex
	per := map[int]int{}
	for w := range 3 {
		subscribe(t, q, "jobs.shared", func(ctx context.Context, data []byte) error {
			mu.Lock()
			per[w]++
			mu.Unlock()
			time.Sleep(time.Millisecond)
			c.add(data)
			return nil
		})
	}
	publishN(t, q, "jobs.shared", n)
	c.waitFor(t, "every job", allOnce(n))
	time.Sleep(100 * time.Millisecond) // a duplicate delivery would show up now
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.got {
		if v != 1 {
			t.Errorf("%s delivered %d times, want once", k, v)
		}
	}
	t.Logf("jobs per subscriber: %v", per)
}

func testSubjectsApart(t *testing.T, q queue.Queue) {
	a, b := newCollector(), newCollector()
	subscribe(t, q, "jobs.a", a.handler)
	subscribe(t, q, "jobs.b", b.handler)
	publishN(t, q, "jobs.a", 3)
	if err := q.Publish(context.Background(), "jobs.b", []byte("only-b")); err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, "jobs on a", allOnce(3))
	b.waitFor(t, "the job on b", func(got map[string]int) bool { return got["only-b"] == 1 })
	time.Sleep(50 * time.Millisecond)
	if a.count("only-b") != 0 || b.count("job-0") != 0 {
		t.Errorf("jobs crossed subjects: a=%v b=%v", a.got, b.got)
	}
}

func testRedelivery(t *testing.T, q queue.Queue) {
	c := newCollector()
	subscribe(t, q, "jobs.flaky", func(ctx context.Context, data []byte) error {
		c.add(data)
		if c.count(string(data)) < 2 {
			return errors.New("temporary failure")
		}
		return nil
	})
	publishN(t, q, "jobs.flaky", 2)
	c.waitFor(t, "each job tried twice", func(got map[string]int) bool { return got["job-0"] >= 2 && got["job-1"] >= 2 })
	time.Sleep(10 * Options.RetryDelay)
	if c.count("job-0") != 2 || c.count("job-1") != 2 {
		t.Errorf("deliveries %v, want each job exactly twice (fail, then succeed)", c.got)
	}
}

func testMaxDeliver(t *testing.T, q queue.Queue) {
	c := newCollector()
	subscribe(t, q, "jobs.poison", func(ctx context.Context, data []byte) error {
		c.add(data)
		return errors.New("always fails")
	})
	publishN(t, q, "jobs.poison", 1)
	c.waitFor(t, "MaxDeliver attempts", func(got map[string]int) bool { return got["job-0"] >= Options.MaxDeliver })
	time.Sleep(10 * Options.RetryDelay)
	if n := c.count("job-0"); n != Options.MaxDeliver {
		t.Errorf("a failing job was tried %d times, want MaxDeliver=%d", n, Options.MaxDeliver)
	}
}

func testDeadLetter(t *testing.T, q queue.Queue) {
	tried, dead := newCollector(), newCollector()
	subscribe(t, q, "jobs.doomed", func(ctx context.Context, data []byte) error {
		tried.add(data)
		if string(data) == "poison" {
			return errors.New("cannot be done")
		}
		return nil
	})
	subscribe(t, q, Options.DeadLetter, dead.handler)
	if err := q.Publish(context.Background(), "jobs.doomed", []byte("poison")); err != nil {
		t.Fatal(err)
	}
	if err := q.Publish(context.Background(), "jobs.doomed", []byte("fine")); err != nil {
		t.Fatal(err)
	}
	dead.waitFor(t, "the failing job on the dead-letter subject", func(got map[string]int) bool { return got["poison"] == 1 })
	time.Sleep(10 * Options.RetryDelay)
	if n := tried.count("poison"); n != Options.MaxDeliver {
		t.Errorf("the failing job was tried %d times before it went to the dead letters, want %d", n, Options.MaxDeliver)
	}
	if dead.count("poison") != 1 || dead.count("fine") != 0 || tried.count("fine") != 1 {
		t.Errorf("dead letters %v, tries %v: want only the failing job, once", dead.got, tried.got)
	}
}

func testPanic(t *testing.T, q queue.Queue) {
	c := newCollector()
	subscribe(t, q, "jobs.panic", func(ctx context.Context, data []byte) error {
		c.add(data)
		if c.count(string(data)) == 1 {
			panic("bad job")
		}
		return nil
	})
	publishN(t, q, "jobs.panic", 1)
	c.waitFor(t, "a retry after the panic", func(got map[string]int) bool { return got["job-0"] == 2 })
}

func testStop(t *testing.T, q queue.Queue) {
	first := newCollector()
	stop := subscribe(t, q, "jobs.stop", first.handler)
	publishN(t, q, "jobs.stop", 1)
	first.waitFor(t, "the first job", allOnce(1))
	stop()
	stop() // stopping twice is harmless
	if err := q.Publish(context.Background(), "jobs.stop", []byte("after-stop")); err != nil {
		t.Fatal(err)
	}
	second := newCollector()
	subscribe(t, q, "jobs.stop", second.handler)
	second.waitFor(t, "the job published after stop", func(got map[string]int) bool { return got["after-stop"] == 1 })
	if first.count("after-stop") != 0 {
		t.Error("a stopped subscriber received a job")
	}

	// Canceling the subscription's context stops it too.
	ctx, cancel := context.WithCancel(context.Background())
	third := newCollector()
	stop3, err := q.Subscribe(ctx, "jobs.ctx", third.handler)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	stop3()
	if err := q.Publish(context.Background(), "jobs.ctx", []byte("x")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if third.count("x") != 0 {
		t.Error("a subscriber whose context ended received a job")
	}
}

func testBadSubject(t *testing.T, q queue.Queue) {
	for _, s := range []string{"", "a..b", ".a", "a.", "a b", "a.*", "a.>", "a/b"} {
		if err := q.Publish(context.Background(), s, []byte("x")); !errors.Is(err, queue.ErrSubject) {
			t.Errorf("Publish(%q) = %v, want ErrSubject", s, err)
		}
		if _, err := q.Subscribe(context.Background(), s, func(context.Context, []byte) error { return nil }); !errors.Is(err, queue.ErrSubject) {
			t.Errorf("Subscribe(%q) = %v, want ErrSubject", s, err)
		}
	}
}

func testClosed(t *testing.T, q queue.Queue) {
	c := newCollector()
	subscribe(t, q, "jobs.close", c.handler)
	if err := q.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := q.Publish(context.Background(), "jobs.close", []byte("x")); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := q.Subscribe(context.Background(), "jobs.close", c.handler); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
	if err := q.Close(); err != nil && !errors.Is(err, queue.ErrClosed) {
		t.Errorf("second Close = %v", err)
	}
}
