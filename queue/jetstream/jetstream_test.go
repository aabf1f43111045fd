package jetstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/parleyhq/parley/queue"
	"github.com/parleyhq/parley/queue/jetstream"
	"github.com/parleyhq/parley/queue/queuetest"
)

// runServer starts an embedded JetStream server on a free loopback port, stopped when t ends.
func runServer(t *testing.T, dir string) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server did not start")
	}
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	return srv
}

func open(t *testing.T, url string, opts queue.Options) *jetstream.JetStream {
	t.Helper()
	q, err := jetstream.Open(context.Background(), jetstream.Config{URL: url, AckWait: 5 * time.Second, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS server; skipped with -short")
	}
	queuetest.Run(t, func(t *testing.T, opts queue.Options) queue.Queue {
		srv := runServer(t, t.TempDir())
		return open(t, srv.ClientURL(), opts)
	})
}

// TestSurvivesRestart checks that a job published before the server restarts is delivered after.
func TestSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS server; skipped with -short")
	}
	dir := t.TempDir()
	srv := runServer(t, dir)
	q := open(t, srv.ClientURL(), queuetest.Options)
	if err := q.Publish(context.Background(), "jobs.durable", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	q.Close()
	srv.Shutdown()
	srv.WaitForShutdown()

	srv = runServer(t, dir)
	q = open(t, srv.ClientURL(), queuetest.Options)
	got := make(chan string, 1)
	stop, err := q.Subscribe(context.Background(), "jobs.durable", func(ctx context.Context, data []byte) error {
		got <- string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	select {
	case s := <-got:
		if s != "kept" {
			t.Errorf("got %q, want kept", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("job published before the restart was not delivered")
	}
}

// TestDeadLetterAfterLostTries checks that a job whose every try hung (its workers gone, no
// answer within AckWait) is moved to the dead-letter subject without another run.
func TestDeadLetterAfterLostTries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS server; skipped with -short")
	}
	srv := runServer(t, t.TempDir())
	q, err := jetstream.Open(context.Background(), jetstream.Config{URL: srv.ClientURL(), AckWait: 700 * time.Millisecond,
		Options: queue.Options{MaxDeliver: 2, RetryDelay: 20 * time.Millisecond, DeadLetter: "dead"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	release := make(chan struct{})
	runs := make(chan string, 10)
	for range 3 {
		stop, err := q.Subscribe(context.Background(), "jobs.hang", func(ctx context.Context, data []byte) error {
			runs <- string(data)
			<-release // a worker that never answers
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	t.Cleanup(func() { close(release) })
	dead := make(chan string, 1)
	stop, err := q.Subscribe(context.Background(), "dead", func(ctx context.Context, data []byte) error {
		dead <- string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if err := q.Publish(context.Background(), "jobs.hang", []byte("stuck")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-dead:
		if s != "stuck" {
			t.Errorf("dead letter %q, want stuck", s)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("a job whose tries all hung did not reach the dead-letter subject")
	}
	if n := len(runs); n != 2 {
		t.Errorf("the job ran %d times, want MaxDeliver=2", n)
	}
	// The count moves once the dead letter is stored, which its subscriber may see first.
	for deadline := time.Now().Add(5 * time.Second); q.DeadLettered() != 1 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if q.DeadLettered() != 1 {
		t.Errorf("DeadLettered = %d, want 1", q.DeadLettered())
	}
}
