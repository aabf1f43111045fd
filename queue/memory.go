package queue

import (
	"context"
	"sync"
	"time"
)

// Memory is the in-process Queue. Jobs live in memory only: they are lost when the process exits.
type Memory struct {
	opts Options

	mu       sync.Mutex
	subjects map[string]*pending
	closed   bool
	done     chan struct{} // closed by Close
	subs     sync.WaitGroup
}

var _ Queue = (*Memory)(nil)

type job struct {
	data     []byte
	attempts int
}

// pending is one subject's waiting jobs.
type pending struct {
	jobs []*job
	wake chan struct{} // closed and replaced when a job arrives
}

// NewMemory returns an empty in-process queue. An invalid dead-letter subject is dropped (check
// opts with Validate first).
func NewMemory(opts Options) *Memory {
	if opts.Validate() != nil {
		opts.DeadLetter = ""
	}
	return &Memory{opts: opts.WithDefaults(), subjects: map[string]*pending{}, done: make(chan struct{})}
}

func (m *Memory) subject(name string) *pending {
	p := m.subjects[name]
	if p == nil {
		p = &pending{wake: make(chan struct{})}
		m.subjects[name] = p
	}
	return p
}

// Publish adds a copy of data to subject.
func (m *Memory) Publish(ctx context.Context, subject string, data []byte) error {
	if err := ValidSubject(subject); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.push(subject, &job{data: append([]byte(nil), data...)})
}

func (m *Memory) push(subject string, j *job) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	p := m.subject(subject)
	p.jobs = append(p.jobs, j)
	close(p.wake)
	p.wake = make(chan struct{})
	return nil
}

// take waits for the next job of subject; nil when stop, ctx or Close ends the wait.
func (m *Memory) take(ctx context.Context, stop <-chan struct{}, subject string) *job {
	for {
		select {
		case <-stop:
			return nil
		case <-ctx.Done():
			return nil
		default:
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil
		}
		p := m.subject(subject)
		if len(p.jobs) > 0 {
			j := p.jobs[0]
			p.jobs[0] = nil
			p.jobs = p.jobs[1:]
			m.mu.Unlock()
			return j
		}
		wake := p.wake
		m.mu.Unlock()
		select {
		case <-wake:
		case <-stop:
			return nil
		case <-ctx.Done():
			return nil
		case <-m.done:
			return nil
		}
	}
}

// Subscribe runs h on subject's jobs in a goroutine of its own.
func (m *Memory) Subscribe(ctx context.Context, subject string, h Handler) (func(), error) {
	if err := ValidSubject(subject); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	m.subs.Add(1)
	m.mu.Unlock()
	stopc := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer m.subs.Done()
		defer close(exited)
		for {
			j := m.take(ctx, stopc, subject)
			if j == nil {
				return
			}
			j.attempts++
			err := Run(ctx, h, j.data)
			switch {
			case err == nil:
			case j.attempts < m.opts.MaxDeliver:
				time.AfterFunc(m.opts.RetryDelay, func() { m.push(subject, j) })
			case m.opts.DeadLetter != "" && subject != m.opts.DeadLetter:
				m.push(m.opts.DeadLetter, &job{data: j.data})
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(stopc) })
		<-exited
	}, nil
}

// Close stops every subscription (waiting for running handlers) and drops waiting jobs.
func (m *Memory) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.done)
	m.mu.Unlock()
	m.subs.Wait()
	return nil
}
