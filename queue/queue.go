// Package queue hands work (perception jobs, say) from the process that accepts it to workers: a
// work queue where each job goes to one subscriber of its subject and comes back for another try
// when the handler fails. Memory is the in-process default; queue/jetstream keeps jobs in NATS
// JetStream so that workers can run in other processes and jobs survive restarts. Both pass the
// suite in queue/queuetest.
package queue

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors every implementation returns.
var (
	ErrClosed  = errors.New("queue: closed")
	ErrSubject = errors.New("queue: invalid subject")
)

// Handler processes one job. Returning an error (or panicking) asks for the job to be delivered
// again, after Options.RetryDelay, until it has been tried Options.MaxDeliver times.
type Handler func(ctx context.Context, data []byte) error

// Queue is a work queue of subjects.
type Queue interface {
	// Publish adds a job to subject. It returns once the queue holds the job.
	Publish(ctx context.Context, subject string, data []byte) error
	// Subscribe runs h on the subject's jobs, one at a time, until stop is called, ctx ends or the
	// queue closes. Jobs are shared between all subscribers of a subject: each job goes to one.
	// stop waits for a running handler to return.
	Subscribe(ctx context.Context, subject string, h Handler) (stop func(), err error)
	// Close stops every subscription and releases the queue.
	Close() error
}

// Options tune delivery; zero values take the defaults.
type Options struct {
	// MaxDeliver is how many times a job is tried before it is dropped (default 5).
	MaxDeliver int
	// RetryDelay is the wait before a failed job is delivered again (default 1s).
	RetryDelay time.Duration
	// DeadLetter, when set, is the subject a job is moved to once it has failed MaxDeliver
	// times (or its last try never ended, its worker gone), so that it is kept for a person to
	// look at instead of dropped. Its bytes are the job's, unchanged.
	DeadLetter string
}

// WithDefaults returns o with zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = 5
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	return o
}

// Validate checks the options (the dead-letter subject).
func (o Options) Validate() error {
	if o.DeadLetter != "" {
		if err := ValidSubject(o.DeadLetter); err != nil {
			return fmt.Errorf("dead-letter subject: %w", err)
		}
	}
	return nil
}

// ValidSubject checks a subject: dot-separated tokens of letters, digits, '-' and '_'.
func ValidSubject(s string) error {
	if s == "" || len(s) > 200 {
		return fmt.Errorf("%w: %q", ErrSubject, s)
	}
	tokenLen := 0
	for _, c := range s {
		switch {
		case c == '.':
			if tokenLen == 0 {
				return fmt.Errorf("%w: %q has an empty token", ErrSubject, s)
			}
			tokenLen = 0
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			tokenLen++
		default:
			return fmt.Errorf("%w: %q (use letters, digits, '-', '_' and dots)", ErrSubject, s)
		}
	}
	if tokenLen == 0 {
		return fmt.Errorf("%w: %q has an empty token", ErrSubject, s)
	}
	return nil
}

// Run calls h and turns a panic into an error, so one bad job cannot take a worker down.
// Implementations use it to call handlers.
func Run(ctx context.Context, h Handler, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("queue: handler panic: %v", r)
		}
	}()
	return h(ctx, data)
}
