package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/store"
)

func TestPragmas(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"query_only", "1"},
		{"user_version", fmt.Sprint(len(migrations))},
	} {
		var got string
		if err := s.read.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(got, tc.want) {
			t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a newer schema = %v, want a version error", err)
	}
}

// TestCloseDuringWrites checks the durability promise: every write that returned nil survives a
// Close racing with it, and every other write reports ErrClosed.
func TestCloseDuringWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateConversation(ctx, &store.Conversation{ID: "c", Pack: "bank"}); err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked = map[string]bool{}
		some  = make(chan struct{}) // closed after 100 acknowledged writes
	)
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				m, err := s.AddMessage(ctx, &store.Message{ID: fmt.Sprintf("%d-%d", g, i), ConversationID: "c", Role: store.RoleCustomer, Text: "x"})
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[m.ID] = true
				if len(acked) == 100 {
					close(some)
				}
				mu.Unlock()
			}
		})
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-some
		s.Close()
	}()
	wg.Wait()
	s.Close() // in case a failing writer stopped before 100 acknowledgements
	select {
	case <-some:
		<-closed
	default:
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, err := s.Messages(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, m := range ms {
		stored[m.ID] = true
	}
	for id := range acked {
		if !stored[id] {
			t.Errorf("acknowledged message %s lost", id)
		}
	}
	t.Logf("%d acknowledged before close, %d stored", len(acked), len(stored))
}

func TestOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my data #1?x=y", "parley 100%.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateConversation(context.Background(), &store.Conversation{Pack: "bank"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %s: %v", path, err)
	}
}
