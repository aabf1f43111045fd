package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/store/postgres/pgtest"
)

// TestNodeKilledAndDatabaseCut keeps conversations going on two nodes, kills one node with
// SIGKILL, then cuts every database connection: each acknowledged message is stored, the
// surviving node keeps serving without a restart, and events still cross nodes afterwards.
func TestNodeKilledAndDatabaseCut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts PostgreSQL and servers; skipped under -short")
	}
	pg := pgtest.Start(t)
	dsn := pg.FreshDSN(t)
	bin := buildParley(t, t.TempDir())
	a, b := startNode(t, bin, dsn), startNode(t, bin, dsn)
	client := &http.Client{Timeout: 20 * time.Second}
	// post sends one message and returns its ID when the server acknowledged it.
	post := func(n *node, id, text string) (string, bool) {
		body, _ := json.Marshal(map[string]string{"text": text})
		resp, err := client.Post(n.base+"/v1/conversations/"+id+"/messages", "application/json", bytes.NewReader(body))
		if err != nil {
			return "", false
		}
		defer resp.Body.Close()
		var out struct {
			MessageID string `json:"message_id"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
			return "", false
		}
		return out.MessageID, true
	}

	const convs = 16
	ids := make([]string, convs)
	for i := range ids {
		var c struct{ ID string }
		a.call(t, "POST", "/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`), &c)
		ids[i] = c.ID
	}
	var (
		mu     sync.Mutex
		acked  = map[string][]string{} // conversation -> acknowledged message IDs
		failed int
		wg     sync.WaitGroup
	)
	stop := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				target := []*node{a, b}[(i+n)%2]
				msg, ok := post(target, id, fmt.Sprintf("what is my balance %d", n))
				mu.Lock()
				if ok {
					acked[id] = append(acked[id], msg)
				} else {
					failed++
				}
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	time.Sleep(3 * time.Second)
	b.cmd.Process.Kill() // SIGKILL, mid-load
	b.cmd.Wait()
	time.Sleep(2 * time.Second)
	// Cut every connection the servers hold; they reconnect by themselves.
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var cut int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&cut); err != nil || cut == 0 {
		t.Fatalf("terminated %d connections: %v", cut, err)
	}
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()

	// The surviving node answers every conversation again, and has every acknowledged message.
	total := 0
	for _, id := range ids {
		if _, ok := post(a, id, "hello?"); !ok {
			t.Fatalf("node A does not serve conversation %s after the cut:\n%s", id, a.log.String())
		}
		stored := map[string]bool{}
		for _, m := range a.view(t, id).Messages {
			stored[m.ID] = true
		}
		for _, m := range acked[id] {
			total++
			if !stored[m] {
				t.Errorf("conversation %s: acknowledged message %s is not stored", id, m)
			}
		}
	}
	if total < convs*10 {
		t.Fatalf("only %d messages acknowledged; the load did not run", total)
	}
	t.Logf("%d messages acknowledged and stored, %d refused (node killed, connections cut), %d connections cut", total, failed, cut)

	// A node started afterwards and the surviving one still share events: the listener that lost
	// its connection listens again.
	c := startNode(t, bin, dsn)
	req, _ := http.NewRequest("GET", a.base+"/v1/conversations/"+ids[0]+"/events", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	events := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- ev
			}
		}
		close(events)
	}()
	<-events // ready
	deadline := time.After(20 * time.Second)
	for {
		if _, ok := post(c, ids[0], "I want to talk to a human"); !ok {
			t.Fatal("the new node refused a turn")
		}
		select {
		case ev := <-events:
			if ev != "" {
				return
			}
		case <-time.After(2 * time.Second): // the listener may still be reconnecting
		case <-deadline:
			t.Fatal("node A's event stream never saw a turn on the new node after the cut")
		}
	}
}
