package guard

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/parleyhq/parley/internal/config"
)

// buckets holds one token bucket per client (API key or address). Buckets idle for longer than
// idle are forgotten, and at most max are held: memory stays bounded whatever clients do.
type buckets struct {
	rate  rate.Limit
	burst int
	idle  time.Duration
	max   int

	mu        sync.Mutex
	m         map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newBuckets(r config.Rate, idle time.Duration, max int) *buckets {
	if r.PerSecond <= 0 {
		return nil
	}
	if idle <= 0 {
		idle = 10 * time.Minute
	}
	if max <= 0 {
		max = 100_000
	}
	return &buckets{rate: rate.Limit(r.PerSecond), burst: r.Burst, idle: idle, max: max, m: map[string]*bucket{}}
}

// take spends one token of client's bucket; when there is none it reports how long until one.
func (b *buckets) take(client string, now time.Time) (time.Duration, bool) {
	if b == nil {
		return 0, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.lastSweep) > b.idle/2 || len(b.m) >= b.max {
		b.sweep(now)
	}
	e := b.m[client]
	if e == nil {
		e = &bucket{lim: rate.NewLimiter(b.rate, b.burst)}
		b.m[client] = e
	}
	e.last = now
	res := e.lim.ReserveN(now, 1)
	if !res.OK() {
		return time.Minute, false
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// sweep forgets idle buckets and, when still full, as many others as it takes to make room.
func (b *buckets) sweep(now time.Time) {
	b.lastSweep = now
	for k, e := range b.m {
		if now.Sub(e.last) > b.idle {
			delete(b.m, k)
		}
	}
	for k := range b.m {
		if len(b.m) < b.max {
			break
		}
		delete(b.m, k)
	}
}

// size is the number of buckets held.
func (b *buckets) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

// counter bounds concurrent live calls per tenant; a nil counter bounds nothing.
type counter struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newCounter(max int) *counter {
	if max <= 0 {
		return nil
	}
	return &counter{max: max, n: map[string]int{}}
}

func (c *counter) acquire(tenant string) bool {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[tenant] >= c.max {
		return false
	}
	c.n[tenant]++
	return true
}

func (c *counter) release(tenant string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[tenant]--; c.n[tenant] <= 0 {
		delete(c.n, tenant)
	}
}
