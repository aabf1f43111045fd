package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/jobs"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/postgres"
	"github.com/parleyhq/parley/store/postgres/pgtest"
)

// syncBuffer is a log buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLog waits until the log holds want, failing t after d.
func waitLog(t *testing.T, log *syncBuffer, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(log.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %v in:\n%s", want, d, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startWorker runs `parley worker` with the config file cfg over the database dsn.
func startWorker(t *testing.T, bin, cfg, dsn string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	cmd := exec.Command(bin, "worker", "--config", cfg, "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "PARLEY_STORE_DRIVER=postgres", "PARLEY_STORE_DSN="+dsn)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitLog(t, log, "running perception jobs", 60*time.Second)
	return cmd, log
}

// voice sends a voice note and returns the reply's text.
func (n *node) voice(t *testing.T, id string, wav []byte) string {
	t.Helper()
	return n.upload(t, id, "audio", "note.wav", wav)
}

// TestWorkersReadPhotosAndVoice runs PostgreSQL, a NATS JetStream server, two `parley serve`
// nodes and `parley worker` processes: the check photo and the voice note of a deposit are read
// by workers, not by the nodes; a worker killed with SIGKILL mid-job leaves its job to another
// worker, which reads it once (one stored result, one deposit); and a job no worker can do ends on
// the dead-letter subject.
func TestWorkersReadPhotosAndVoice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts PostgreSQL, NATS, two servers and workers; skipped under -short")
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Fatal("espeak-ng is not installed; it speaks the test's voice note (make setup installs it)")
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	pg := pgtest.Start(t)
	dsn := pg.FreshDSN(t)
	work := t.TempDir()
	bin := buildParley(t, work)
	cfg := filepath.Join(work, "parley.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`queue:
  driver: nats
  url: %s
  stages: [image.check, audio.asr]
  wait: 40s
  ack_wait: 3s
`, ns.ClientURL())), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "gen", "checks", "--n", "1", "--seed", "11", "--degrade", "photo", "--out", work).CombinedOutput(); err != nil {
		t.Fatalf("gen checks: %v\n%s", err, out)
	}
	photo, err := os.ReadFile(filepath.Join(work, "check_0000_photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	wavPath := filepath.Join(work, "yes.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "140", "-w", wavPath, "yes").CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	yes, err := os.ReadFile(wavPath)
	if err != nil {
		t.Fatal(err)
	}

	a, b := startNode(t, bin, dsn, "--config", cfg), startNode(t, bin, dsn, "--config", cfg)
	first, firstLog := startWorker(t, bin, cfg, dsn)

	var created struct{ ID string }
	a.call(t, "POST", "/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`), &created)
	id := created.ID
	b.say(t, id, "I would like to deposit a check")

	// The photo goes to node A; the only worker takes its job and is killed mid-job.
	replies := make(chan string, 1)
	start := time.Now()
	go func() { replies <- a.photo(t, id, photo) }()
	waitLog(t, firstLog, "perception job started", 30*time.Second)
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	if strings.Contains(firstLog.String(), "perception job done") {
		t.Fatalf("the first worker finished before it was killed; the test proves nothing:\n%s", firstLog)
	}
	_, secondLog := startWorker(t, bin, cfg, dsn)
	var reply string
	select {
	case reply = <-replies:
	case <-time.After(50 * time.Second):
		t.Fatal("the photo's turn did not finish after its worker was killed")
	}
	t.Logf("photo turn with a worker killed mid-job: %v", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(reply, "1,030.00") {
		t.Fatalf("the photo's reply lacks the amount: %q", reply)
	}
	waitLog(t, secondLog, "perception job done", time.Second)

	// The voice note "yes" goes to node B and is heard by the worker: the deposit is made.
	if r := b.voice(t, id, yes); !strings.Contains(strings.ToLower(r), "deposited") {
		t.Fatalf("the spoken yes did not deposit the check: %q", r)
	}
	if v := a.view(t, id); v.Status != "resolved" {
		t.Fatalf("status %s after the spoken yes, want resolved", v.Status)
	}
	for _, l := range []string{a.log.String(), b.log.String()} {
		if strings.Contains(l, "reading here") {
			t.Errorf("a node read a part itself instead of waiting for the workers:\n%s", l)
		}
	}

	// Exactly once in effect: one stored result per stage of each message, one deposit.
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := st.StageResults(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	perStage := map[string]int{}
	for _, r := range res {
		perStage[r.Stage]++
	}
	if perStage["image.check"] != 1 || perStage["audio.asr"] != 1 {
		t.Errorf("stage results %v, want one image.check (the photo) and one audio.asr (the voice note)", perStage)
	}
	deps, err := st.DepositCandidates(context.Background(), store.Deposit{Amount: 1030})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 1 {
		t.Errorf("%d deposits of 1,030.00, want exactly one", len(deps))
	}

	// A poisoned job (its photo is not in the blob store) is tried, then set aside.
	q, err := server.OpenQueue(context.Background(), config.Queue{Driver: "nats", URL: ns.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	dead := make(chan []byte, 1)
	stop, err := q.Subscribe(context.Background(), server.DeadLetterSubject, func(ctx context.Context, data []byte) error {
		dead <- data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	poison := &jobs.Job{ConversationID: id, MessageID: "m_poison", Stage: "image.check", StageVersion: "1", Origin: "job:poison",
		Items: []jobs.Item{{Part: 1, Kind: "image", Blob: strings.Repeat("0", 64)}}}
	data, err := poison.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Publish(context.Background(), jobs.Subject("image.check"), data); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-dead:
		j, err := jobs.Decode(got)
		if err != nil || j.MessageID != "m_poison" {
			t.Fatalf("dead letter %s (%v), want the poisoned job", got, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the poisoned job did not reach the dead-letter subject; worker log:\n%s", secondLog)
	}
}
