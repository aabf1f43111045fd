// Package jetstream is the queue.Queue on NATS JetStream: jobs are kept in a file-backed stream with
// work-queue retention, so they survive restarts and are shared by workers in any process. Each
// subject has one durable pull consumer that all its subscribers pull from.
package jetstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parleyhq/parley/queue"
)

// Config locates the server and the stream.
type Config struct {
	// URL of the NATS server, e.g. nats://127.0.0.1:4222 (several may be given, comma-separated).
	URL string
	// Stream is the JetStream stream name (default PARLEY_JOBS).
	Stream string
	// Prefix is put before every subject in the stream (default parley.jobs).
	Prefix string
	// AckWait is how long a handler may run before its job is handed to another worker (default 5m).
	AckWait time.Duration
	// Options tune retries.
	Options queue.Options
}

// JetStream is a queue.Queue on a NATS JetStream stream.
type JetStream struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream

	mu     sync.Mutex
	closed bool
	subs   map[*subscription]struct{}
	// deadLettered counts jobs moved to the dead-letter subject.
	deadLettered atomic.Int64
}

var _ queue.Queue = (*JetStream)(nil)

// Open connects to the server and creates (or updates) the stream.
func Open(ctx context.Context, cfg Config) (*JetStream, error) {
	if cfg.URL == "" {
		return nil, errors.New("jetstream: empty server URL")
	}
	if cfg.Stream == "" {
		cfg.Stream = "PARLEY_JOBS"
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "parley.jobs"
	}
	if err := queue.ValidSubject(cfg.Prefix); err != nil {
		return nil, fmt.Errorf("jetstream: prefix: %w", err)
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 5 * time.Minute
	}
	cfg.Options = cfg.Options.WithDefaults()
	if err := cfg.Options.Validate(); err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	nc, err := nats.Connect(cfg.URL, nats.Name("parley"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("jetstream: connect %s: %w", cfg.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      cfg.Stream,
		Subjects:  []string{cfg.Prefix + ".>"},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.FileStorage,
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: stream %s: %w", cfg.Stream, err)
	}
	return &JetStream{cfg: cfg, nc: nc, js: js, stream: stream, subs: map[*subscription]struct{}{}}, nil
}

func (q *JetStream) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// Publish adds a job and returns once the server has stored it.
func (q *JetStream) Publish(ctx context.Context, subject string, data []byte) error {
	if err := queue.ValidSubject(subject); err != nil {
		return err
	}
	if q.isClosed() {
		return queue.ErrClosed
	}
	if _, err := q.js.Publish(ctx, q.cfg.Prefix+"."+subject, data); err != nil {
		if errors.Is(err, nats.ErrConnectionClosed) {
			return queue.ErrClosed
		}
		return fmt.Errorf("jetstream: publish %s: %w", subject, err)
	}
	return nil
}

// durable names the consumer of a subject: readable, and unique through a hash of the subject.
func durable(subject string) string {
	h := sha256.Sum256([]byte(subject))
	return "parley_" + strings.ReplaceAll(subject, ".", "_") + "_" + hex.EncodeToString(h[:4])
}

type subscription struct {
	q        *JetStream
	it       jetstream.MessagesContext
	stopOnce sync.Once
	stopping chan struct{}
	exited   chan struct{}
}

// Subscribe pulls subject's jobs one at a time and runs h on each.
func (q *JetStream) Subscribe(ctx context.Context, subject string, h queue.Handler) (func(), error) {
	if err := queue.ValidSubject(subject); err != nil {
		return nil, err
	}
	if q.isClosed() {
		return nil, queue.ErrClosed
	}
	maxDeliver := q.cfg.Options.MaxDeliver
	if q.deadLetters(subject) {
		// One delivery more than the tries: a job whose last try never ended (its worker was
		// killed) comes back once more, and goes to the dead letters without running.
		maxDeliver++
	}
	cons, err := q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       durable(subject),
		FilterSubject: q.cfg.Prefix + "." + subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    maxDeliver,
	})
	if err != nil {
		return nil, fmt.Errorf("jetstream: consumer for %s: %w", subject, err)
	}
	// One job at a time, and short pull requests: a pull of one message can go unanswered until
	// its request expires although a job waits, so an expiry of 2 s bounds that wait (the 30 s
	// default left a job published before subscribing undelivered for half a minute).
	it, err := cons.Messages(jetstream.PullMaxMessages(1), jetstream.PullExpiry(2*time.Second))
	if err != nil {
		return nil, fmt.Errorf("jetstream: subscribe %s: %w", subject, err)
	}
	s := &subscription{q: q, it: it, stopping: make(chan struct{}), exited: make(chan struct{})}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		it.Stop()
		return nil, queue.ErrClosed
	}
	q.subs[s] = struct{}{}
	q.mu.Unlock()
	go s.run(ctx, h)
	go func() {
		select {
		case <-ctx.Done():
			s.stop()
		case <-s.exited:
		}
	}()
	return s.stop, nil
}

func (s *subscription) run(ctx context.Context, h queue.Handler) {
	defer close(s.exited)
	for {
		msg, err := s.it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return
		}
		if err != nil {
			// Transient (missed heartbeat, reconnect): the iterator recovers by itself.
			select {
			case <-s.stopping:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		select {
		case <-s.stopping:
			msg.Nak() // prefetched after stop: give it straight back
			continue
		default:
		}
		s.handle(ctx, h, msg)
	}
}

func (s *subscription) handle(ctx context.Context, h queue.Handler, msg jetstream.Msg) {
	tries := uint64(s.q.cfg.Options.MaxDeliver)
	md, mdErr := msg.Metadata()
	if mdErr == nil && md.NumDelivered > tries {
		// Only with a dead-letter subject: the last try ended without an answer.
		s.deadLetter(ctx, msg, md.NumDelivered, "the last try did not finish (worker gone)")
		return
	}
	err := queue.Run(ctx, h, msg.Data())
	if err == nil {
		msg.Ack()
		return
	}
	if mdErr == nil && md.NumDelivered >= tries {
		s.deadLetter(ctx, msg, md.NumDelivered, err.Error())
		return
	}
	msg.NakWithDelay(s.q.cfg.Options.RetryDelay)
}

// deadLetters reports whether failed jobs of subject are moved to the dead-letter subject.
func (q *JetStream) deadLetters(subject string) bool {
	return q.cfg.Options.DeadLetter != "" && subject != q.cfg.Options.DeadLetter
}

// deadLetter moves a job out of tries to the dead-letter subject (when one is set), with headers
// saying where it came from and why, then drops it from its own subject. When the move fails the
// job is left to come back, so it is never lost.
func (s *subscription) deadLetter(ctx context.Context, msg jetstream.Msg, delivered uint64, why string) {
	if !s.q.deadLetters(strings.TrimPrefix(msg.Subject(), s.q.cfg.Prefix+".")) {
		msg.Term()
		return
	}
	dl := nats.NewMsg(s.q.cfg.Prefix + "." + s.q.cfg.Options.DeadLetter)
	dl.Data = msg.Data()
	dl.Header.Set("Parley-Subject", strings.TrimPrefix(msg.Subject(), s.q.cfg.Prefix+"."))
	dl.Header.Set("Parley-Deliveries", fmt.Sprint(delivered))
	if len(why) > 500 {
		why = why[:500]
	}
	dl.Header.Set("Parley-Error", why)
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := s.q.js.PublishMsg(pctx, dl); err != nil {
		msg.NakWithDelay(s.q.cfg.Options.RetryDelay)
		return
	}
	s.q.deadLettered.Add(1)
	msg.Term()
}

// DeadLettered returns how many jobs this queue moved to the dead-letter subject.
func (q *JetStream) DeadLettered() int64 { return q.deadLettered.Load() }

// stop ends the subscription, returning any prefetched job, and waits for the handler.
func (s *subscription) stop() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.it.Drain()
	})
	<-s.exited
	s.q.mu.Lock()
	delete(s.q.subs, s)
	s.q.mu.Unlock()
}

// Close stops every subscription (waiting for running handlers) and closes the connection. Stored
// jobs stay in the stream.
func (q *JetStream) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	subs := make([]*subscription, 0, len(q.subs))
	for s := range q.subs {
		subs = append(subs, s)
	}
	q.mu.Unlock()
	for _, s := range subs {
		s.stop()
	}
	q.nc.Close()
	return nil
}
